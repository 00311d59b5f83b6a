// The directory's durable half: conversation records and known nodes in SQLite (directory.db
// under the data directory, or in memory without one), so a restarted directory keeps its
// placements and epochs.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ConvRecord } from '../internal-protocol.ts';

export interface StoredNode {
  id: string;
  region: string;
  url: string;
}

export interface DirectoryStore {
  convs(): ConvRecord[];
  nodes(): StoredNode[];
  saveConv(rec: ConvRecord): void;
  saveNode(node: StoredNode): void;
  close(): void;
}

interface ConvRow {
  id: string;
  members: string;
  residency: string | null;
  home: string | null;
  epoch: number;
  version: number;
}

export function openDirectoryStore(dataDir: string | undefined): DirectoryStore {
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const db = new Database(dataDir === undefined ? ':memory:' : join(dataDir, 'directory.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS conversations (
      id TEXT PRIMARY KEY, members TEXT NOT NULL, residency TEXT, home TEXT,
      epoch INTEGER NOT NULL, version INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS nodes (id TEXT PRIMARY KEY, region TEXT NOT NULL, url TEXT NOT NULL);
  `);
  const saveConv = db.prepare(`
    INSERT INTO conversations (id, members, residency, home, epoch, version)
    VALUES (@id, @members, @residency, @home, @epoch, @version)
    ON CONFLICT (id) DO UPDATE SET home = excluded.home, epoch = excluded.epoch, version = excluded.version`);
  const saveNode = db.prepare(
    'INSERT INTO nodes (id, region, url) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET region = excluded.region, url = excluded.url',
  );
  return {
    convs: () =>
      db
        .prepare<[], ConvRow>('SELECT * FROM conversations')
        .all()
        .map((row) => ({
          id: row.id,
          members: JSON.parse(row.members) as string[],
          residency: row.residency === null ? null : (JSON.parse(row.residency) as string[]),
          home: row.home,
          epoch: row.epoch,
          version: row.version,
        })),
    nodes: () => db.prepare<[], StoredNode>('SELECT * FROM nodes').all(),
    saveConv: (rec) => {
      saveConv.run({
        id: rec.id,
        members: JSON.stringify(rec.members),
        residency: rec.residency === null ? null : JSON.stringify(rec.residency),
        home: rec.home,
        epoch: rec.epoch,
        version: rec.version,
      });
    },
    saveNode: (node) => {
      saveNode.run(node.id, node.region, node.url);
    },
    close: () => db.close(),
  };
}

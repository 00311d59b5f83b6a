// A node's durable state in one SQLite file (WAL). Messages are keyed by (conv, seq); the
// (conv, sender, cmid) index makes resends idempotent. Every message is written in one
// transaction before anyone is told about it, so a SIGKILLed node keeps whatever it acked.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createCmidFilter } from './cmid-filter.ts';
import type { ConvRecord, EpochStarts, WireEntry } from './internal-protocol.ts';

export interface StoredConversation {
  record: ConvRecord;
  lastSeq: number;
  logEpoch: number;
  commitSeq: number;
  epochStarts: EpochStarts;
}

export interface LogRow {
  seq: number;
  epoch: number;
  from: string;
  cmid: string;
  serverTime: number;
}

export interface Storage {
  loadConversations(): StoredConversation[];
  upsertConversation(record: ConvRecord): void;
  setLogEpoch(conv: string, logEpoch: number): void;
  setCommit(conv: string, commitSeq: number): void;
  findByCmid(
    conv: string,
    from: string,
    cmid: string,
  ): { seq: number; epoch: number; serverTime: number } | undefined;
  /** Writes several conversations' new entries in one transaction. */
  appendMany(rows: readonly { conv: string; entry: WireEntry }[]): void;
  /** Deletes entries above `truncateAbove` (when not null), then inserts `entries`, atomically. */
  applyBatch(
    conv: string,
    truncateAbove: number | null,
    entries: readonly WireEntry[],
    logEpoch: number,
  ): void;
  range(conv: string, afterSeq: number, upToSeq: number): WireEntry[];
  /**
   * Runs `fn` in one transaction: the writes it makes (appendMany and applyBatch become
   * savepoints inside it) commit together when it returns, or not at all when it throws.
   */
  atomically<T>(fn: () => T): T;
  logRows(conv: string): LogRow[];
  close(): void;
}

export interface StorageOptions {
  /** synchronous=FULL (fsync per commit) instead of NORMAL; NORMAL survives process kills. */
  fsync?: boolean;
  /** How often the background thread checkpoints the WAL; default 500 ms. */
  checkpointEveryMs?: number;
}

// WAL checkpoints copy the log into the database file and fsync it. Run on the event loop they
// stall every client of the node for tens of milliseconds on a busy disk, so a worker thread with
// its own connection does them; the main connection never checkpoints by itself.
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
const fs = require('node:fs');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    // Under sustained writes a passive checkpoint never catches up and the WAL only grows; past
    // the limit, briefly hold writers off so it can restart from the beginning.
    if (fs.statSync(workerData.file + '-wal').size > workerData.maxWalBytes) db.pragma('wal_checkpoint(RESTART)');
  } catch (error) { parentPort.postMessage(String(error)); }
}, workerData.everyMs);
parentPort.on('message', (m) => { if (m === 'stop') { clearInterval(timer); db.close(); process.exit(0); } });
`;

function startCheckpointer(file: string, everyMs: number, onFailure: () => void): Worker | null {
  try {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(CHECKPOINTER, {
      eval: true,
      workerData: { file, everyMs, driver, maxWalBytes: 64 * 1024 * 1024 },
    });
    worker.unref();
    worker.on('error', onFailure);
    worker.on('exit', (code) => {
      if (code !== 0) onFailure();
    });
    return worker;
  } catch {
    onFailure();
    return null;
  }
}

interface ConvRow {
  id: string;
  members: string;
  residency: string | null;
  home: string | null;
  epoch: number;
  version: number;
  log_epoch: number;
  commit_seq: number;
}

interface MessageRow {
  seq: number;
  epoch: number;
  sender: string;
  cmid: string;
  body: string;
  server_time: number;
}

export function openStorage(file: string, opts: StorageOptions = {}): Storage {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.fsync === true ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS conversations (
      id TEXT PRIMARY KEY,
      members TEXT NOT NULL,
      residency TEXT,
      home TEXT,
      epoch INTEGER NOT NULL DEFAULT 0,
      version INTEGER NOT NULL DEFAULT 0,
      log_epoch INTEGER NOT NULL DEFAULT 0,
      commit_seq INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS messages (
      conv TEXT NOT NULL,
      seq INTEGER NOT NULL,
      epoch INTEGER NOT NULL,
      sender TEXT NOT NULL,
      cmid TEXT NOT NULL,
      body TEXT NOT NULL,
      server_time REAL NOT NULL,
      PRIMARY KEY (conv, seq)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS messages_cmid ON messages (conv, sender, cmid);
  `);

  const upsertConv = db.prepare(`
    INSERT INTO conversations (id, members, residency, home, epoch, version)
    VALUES (@id, @members, @residency, @home, @epoch, @version)
    ON CONFLICT (id) DO UPDATE SET members = excluded.members, residency = excluded.residency,
      home = excluded.home, epoch = excluded.epoch, version = excluded.version`);
  const setLogEpochStmt = db.prepare('UPDATE conversations SET log_epoch = ? WHERE id = ?');
  const setCommitStmt = db.prepare('UPDATE conversations SET commit_seq = ? WHERE id = ? AND commit_seq < ?');
  const findCmid = db.prepare<[string, string, string], { seq: number; epoch: number; server_time: number }>(
    'SELECT seq, epoch, server_time FROM messages WHERE conv = ? AND sender = ? AND cmid = ? ORDER BY seq LIMIT 1',
  );
  const insert = db.prepare(
    'INSERT INTO messages (conv, seq, epoch, sender, cmid, body, server_time) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const truncate = db.prepare('DELETE FROM messages WHERE conv = ? AND seq > ?');
  const rangeStmt = db.prepare<[string, number, number], MessageRow>(
    'SELECT seq, epoch, sender, cmid, body, server_time FROM messages WHERE conv = ? AND seq > ? AND seq <= ? ORDER BY seq',
  );
  const logStmt = db.prepare<[string], Omit<MessageRow, 'body'>>(
    'SELECT seq, epoch, sender, cmid, server_time FROM messages WHERE conv = ? ORDER BY seq',
  );

  db.pragma('wal_autocheckpoint = 0');
  // Should the checkpointer ever fail, fall back to SQLite's own checkpoints rather than grow the WAL.
  const checkpointer =
    file === ':memory:'
      ? null
      : startCheckpointer(file, opts.checkpointEveryMs ?? 500, () => {
          if (db.open) db.pragma('wal_autocheckpoint = 1000');
        });

  // Every key stored, so a new cmid (the usual case) is known new without asking the index.
  const cmids = createCmidFilter();
  for (const r of db
    .prepare<[], { conv: string; sender: string; cmid: string }>('SELECT conv, sender, cmid FROM messages')
    .iterate()) {
    cmids.add(r.conv, r.sender, r.cmid);
  }
  const appendTxn = db.transaction((rows: readonly { conv: string; entry: WireEntry }[]) => {
    for (const { conv, entry: e } of rows) {
      cmids.add(conv, e.from, e.cmid);
      insert.run(conv, e.seq, e.epoch, e.from, e.cmid, e.body, e.serverTime);
    }
  });
  const inTransaction = db.transaction((fn: () => unknown) => fn());
  const applyTxn = db.transaction(
    (conv: string, truncateAbove: number | null, entries: readonly WireEntry[], logEpoch: number) => {
      if (truncateAbove !== null) truncate.run(conv, truncateAbove);
      for (const e of entries) {
        cmids.add(conv, e.from, e.cmid);
        insert.run(conv, e.seq, e.epoch, e.from, e.cmid, e.body, e.serverTime);
      }
      setLogEpochStmt.run(logEpoch, conv);
    },
  );

  return {
    loadConversations() {
      const rows = db.prepare<[], ConvRow>('SELECT * FROM conversations').all();
      const last = new Map(
        db
          .prepare<[], { conv: string; last: number }>(
            'SELECT conv, MAX(seq) AS last FROM messages GROUP BY conv',
          )
          .all()
          .map((r) => [r.conv, r.last]),
      );
      const starts = new Map<string, EpochStarts>();
      for (const r of db
        .prepare<[], { conv: string; epoch: number; first: number }>(
          'SELECT conv, epoch, MIN(seq) AS first FROM messages GROUP BY conv, epoch ORDER BY conv, first',
        )
        .all()) {
        const list = starts.get(r.conv) ?? [];
        list.push([r.epoch, r.first]);
        starts.set(r.conv, list);
      }
      return rows.map((row) => ({
        record: {
          id: row.id,
          members: JSON.parse(row.members) as string[],
          residency: row.residency === null ? null : (JSON.parse(row.residency) as string[]),
          home: row.home,
          epoch: row.epoch,
          version: row.version,
        },
        lastSeq: last.get(row.id) ?? 0,
        logEpoch: row.log_epoch,
        commitSeq: row.commit_seq,
        epochStarts: starts.get(row.id) ?? [],
      }));
    },
    upsertConversation(record) {
      upsertConv.run({
        id: record.id,
        members: JSON.stringify(record.members),
        residency: record.residency === null ? null : JSON.stringify(record.residency),
        home: record.home,
        epoch: record.epoch,
        version: record.version,
      });
    },
    setLogEpoch(conv, logEpoch) {
      setLogEpochStmt.run(logEpoch, conv);
    },
    setCommit(conv, commitSeq) {
      setCommitStmt.run(commitSeq, conv, commitSeq);
    },
    findByCmid(conv, from, cmid) {
      if (!cmids.mayHave(conv, from, cmid)) return undefined;
      const row = findCmid.get(conv, from, cmid);
      return row === undefined ? undefined : { seq: row.seq, epoch: row.epoch, serverTime: row.server_time };
    },
    appendMany(rows) {
      appendTxn(rows);
    },
    applyBatch(conv, truncateAbove, entries, logEpoch) {
      applyTxn(conv, truncateAbove, entries, logEpoch);
    },
    atomically<T>(fn: () => T): T {
      return inTransaction(fn) as T;
    },
    range(conv, afterSeq, upToSeq) {
      return rangeStmt.all(conv, afterSeq, upToSeq).map((r) => ({
        seq: r.seq,
        epoch: r.epoch,
        from: r.sender,
        cmid: r.cmid,
        body: r.body,
        serverTime: r.server_time,
      }));
    },
    logRows(conv) {
      return logStmt.all(conv).map((r) => ({
        seq: r.seq,
        epoch: r.epoch,
        from: r.sender,
        cmid: r.cmid,
        serverTime: r.server_time,
      }));
    },
    close() {
      checkpointer?.postMessage('stop');
      db.close();
    },
  };
}

// The "nothing left behind" helpers must not mistake another test file's listener for a leftover
// of a run: unit files bind ephemeral ports beside the integration files, and a number a run's
// service just gave up may be taken again at once.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { listeningPorts } from './ports.ts';

it('counts a child process listening, and leaves out the test runner’s own listener', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const own = (server.address() as { port: number }).port;
  const child = spawn(process.execPath, [
    '-e',
    "require('net').createServer().listen(0, '127.0.0.1', function () { console.log(this.address().port) })",
  ]);
  try {
    const port = await new Promise<number>((resolve) =>
      child.stdout.once('data', (d) => resolve(Number(String(d)))),
    );
    const ports = listeningPorts();
    expect(ports.has(port)).toBe(true);
    expect(ports.has(own)).toBe(false);
  } finally {
    child.kill();
    server.close();
  }
});

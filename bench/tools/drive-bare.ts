// The bare side of the load-generator benchmarks: plain `ws` sockets with a valid token each,
// sending the same send frames as chatquake's virtual users at the same rate from one scheduler
// loop, and recording nothing: no history, no parsing, no outbox, no per-message state. It only
// tells an ack from a pushed message by one byte (the server writes `{"type":"msg"` / `"ack"`
// first) so that it knows when the server is done and, on a ramp, how far behind it is.
import WebSocket from 'ws';
import {
  backlogExceeded,
  type DrivePlan,
  type DriveResult,
  dueBy,
  ownCpu,
  planUsers,
  type Window,
} from './plan.ts';
import { benchToken } from './reference-server.ts';

const FANOUT = 2;
/** `{"type":"m…` and `{"type":"a…`: the 10th byte of a server frame. */
const TYPE_BYTE = 9;
const M = 'm'.charCodeAt(0);
const A = 'a'.charCodeAt(0);

interface BareSocket {
  ws: WebSocket;
  user: string;
  conv: string;
  n: number;
}

function open(plan: DrivePlan, user: string, conv: string, counts: { acked: number; delivered: number }) {
  const ws = new WebSocket(`${plan.wsUrl}?token=${benchToken(user, plan.secret)}`, {
    perMessageDeflate: false,
  });
  ws.on('message', (data: Buffer) => {
    const type = data[TYPE_BYTE];
    if (type === M) counts.delivered++;
    else if (type === A) counts.acked++;
  });
  return new Promise<BareSocket>((resolve, reject) => {
    ws.once('open', () => resolve({ ws, user, conv, n: 0 }));
    ws.once('error', reject);
  });
}

export async function runBare(plan: DrivePlan): Promise<DriveResult> {
  const { users, conversations } = planUsers(plan);
  const counts = { acked: 0, delivered: 0 };
  const sockets = await Promise.all(
    users.map((user, i) => open(plan, user, (conversations[i >> 1] as { id: string }).id, counts)),
  );
  const padding = 'x'.repeat(plan.bodyBytes);
  const windows: Window[] = [];
  let sent = 0;
  const start = performance.now();
  let stopped = false;
  const ticker = setInterval(() => {
    windows.push({ elapsedMs: performance.now() - start, sent, delivered: counts.delivered });
    if (backlogExceeded(plan, windows, FANOUT)) stopped = true;
  }, 1000);
  try {
    // One loop for every socket, as runLoad's: all sends due by now, round robin, then a timer.
    while (!stopped) {
      const elapsed = performance.now() - start;
      const due = dueBy(plan, elapsed);
      for (; sent < due; sent++) {
        const s = sockets[sent % sockets.length] as BareSocket;
        const cmid = `${s.user}-${s.n++}`;
        const body = `${cmid} ${padding}`.slice(0, plan.bodyBytes);
        s.ws.send(`{"type":"send","conv":"${s.conv}","cmid":"${cmid}","body":"${body}"}`);
      }
      if (elapsed >= plan.durationMs) break;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const loadEnd = performance.now();
    const drainUntil = loadEnd + plan.drainMs;
    while (!stopped && performance.now() < drainUntil && counts.delivered < sent * FANOUT) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return {
      side: 'bare',
      sent,
      acked: counts.acked,
      delivered: counts.delivered,
      loadMs: performance.now() - start,
      cpuSeconds: ownCpu(),
      windows,
    };
  } finally {
    clearInterval(ticker);
    await Promise.all(
      sockets.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.ws.once('close', () => resolve());
            s.ws.close(1000);
            setTimeout(() => s.ws.terminate(), 1000).unref();
          }),
      ),
    );
  }
}

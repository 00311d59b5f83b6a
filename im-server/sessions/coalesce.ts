// Coalesced socket writes: every frame a session is sent in one turn of the event loop leaves in
// one writev. A node pushes each committed message to every member's session and acks each send
// as its own frame; written one by one, the profile at capacity showed a quarter of a node's CPU
// in writev, one syscall (and one wake-up of the reader) per frame. The first write of a turn
// corks the socket, and the check phase of the same turn (setImmediate, after all the I/O the
// turn handles) uncorks every corked socket, so nothing waits longer than the turn it was
// written in. Order on each socket is unchanged: corking only holds the bytes.
import type { Writable } from 'node:stream';

export interface WriteCoalescer {
  /** Holds `socket`'s writes until the end of this turn of the event loop (idempotent). */
  hold(socket: Writable): void;
  /** Releases every held socket now. */
  flush(): void;
}

export function createWriteCoalescer(): WriteCoalescer {
  const held = new Set<Writable>();
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    for (const socket of held) if (!socket.destroyed) socket.uncork();
    held.clear();
  };
  return {
    hold(socket) {
      if (held.has(socket) || socket.destroyed) return;
      socket.cork();
      held.add(socket);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

// Test code only, not k6: part of the stand-in (index.ts) that lets the suite run generated k6
// scripts where k6 cannot be installed; behaviour follows k6's docs.
// The stand-in's k6/timers: setTimeout, clearTimeout,
// setInterval and clearInterval with numeric ids. A pending timer keeps its VU's iteration open,
// as in k6's event loop; an exception in a callback fails the iteration.
import { callAsVu, type Pending, requireVu, type VuState } from './state.ts';

type Callback = (...args: unknown[]) => void;

let nextId = 1;
const live = new Map<number, { vu: VuState; pending: Pending }>();

function start(fn: Callback, delay: number, args: unknown[], repeat: boolean): number {
  if (typeof fn !== 'function') throw new TypeError('setTimeout/setInterval: the callback is not a function');
  const vu = requireVu(repeat ? 'setInterval' : 'setTimeout');
  const id = nextId++;
  const ms = Number.isFinite(delay) && delay > 0 ? delay : 0;
  const pending: Pending = {
    cancel: () => {
      if (repeat) clearInterval(handle);
      else clearTimeout(handle);
      live.delete(id);
    },
  };
  const fire = (): void => {
    callAsVu(vu, () => fn(...args));
    if (!repeat) stop(id);
  };
  const handle = repeat ? setInterval(fire, ms) : setTimeout(fire, ms);
  live.set(id, { vu, pending });
  vu.pending.add(pending);
  return id;
}

function stop(id: unknown): void {
  if (typeof id !== 'number') return;
  const timer = live.get(id);
  if (timer === undefined) return;
  timer.pending.cancel();
  timer.vu.pending.delete(timer.pending);
  timer.vu.changed();
}

function k6SetTimeout(fn: Callback, delay: number, ...args: unknown[]): number {
  return start(fn, delay, args, false);
}
function k6SetInterval(fn: Callback, delay: number, ...args: unknown[]): number {
  return start(fn, delay, args, true);
}
function k6ClearTimeout(id: number): void {
  stop(id);
}
function k6ClearInterval(id: number): void {
  stop(id);
}

export {
  k6ClearInterval as clearInterval,
  k6ClearTimeout as clearTimeout,
  k6SetInterval as setInterval,
  k6SetTimeout as setTimeout,
};

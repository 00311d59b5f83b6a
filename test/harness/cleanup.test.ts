import { describe, expect, it } from 'vitest';
import { createCleanupRegistry } from '../../harness/local/cleanup.ts';

describe('cleanup registry', () => {
  it('runs steps newest first, keeps going past failures and reports them', async () => {
    const registry = createCleanupRegistry();
    const order: string[] = [];
    registry.add('a', () => {
      order.push('a');
    });
    registry.add('b', () => {
      throw new Error('boom');
    });
    registry.add('c', async () => {
      order.push('c');
    });
    const errors = await registry.run();
    expect(order).toEqual(['c', 'a']);
    expect(errors).toEqual(['b: boom']);
    expect(registry.size()).toBe(0);
  });

  it('bounds a stuck step', async () => {
    const registry = createCleanupRegistry();
    registry.add('stuck', () => new Promise(() => {}));
    let after = false;
    registry.add('later', () => {
      after = true;
    });
    const errors = await registry.run({ stepTimeoutMs: 50 });
    expect(after).toBe(true);
    expect(errors[0]).toMatch(/stuck: timed out/);
  });

  it('forgets a step once its owner removed it', async () => {
    const registry = createCleanupRegistry();
    let ran = false;
    const remove = registry.add('x', () => {
      ran = true;
    });
    remove();
    await registry.run();
    expect(ran).toBe(false);
  });

  it('shares one run between concurrent callers', async () => {
    const registry = createCleanupRegistry();
    let count = 0;
    registry.add('x', async () => {
      count++;
      await new Promise((r) => setTimeout(r, 20));
    });
    await Promise.all([registry.run(), registry.run()]);
    expect(count).toBe(1);
  });
});

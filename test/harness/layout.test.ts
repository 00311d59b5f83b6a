import { describe, expect, it } from 'vitest';
import { formatLayout, planLayout, proxiesForNode } from '../../harness/local/layout.ts';

describe('planLayout', () => {
  it('gives each region its own loopback block and every path a proxy', () => {
    const layout = planLayout(['eu-west', 'us-east', 'ap-south'], 2);
    expect(layout.regions.map((r) => r.block)).toEqual(['127.0.1.x', '127.0.2.x', '127.0.3.x']);
    expect(layout.regions[1]?.nodes.map((n) => n.host)).toEqual(['127.0.2.11', '127.0.2.12']);
    const names = layout.proxies.map((p) => p.name);
    expect(names).toContain('edge:clients->us-east.n2');
    expect(names).toContain('link:eu-west->us-east.n1');
    expect(names).toContain('link:ap-south->us-east.n1');
    expect(names).toContain('dir:ap-south.n2');
    // No link from a region to itself: same-region peers talk directly.
    expect(names.filter((n) => n.startsWith('link:us-east->us-east'))).toEqual([]);
    // 6 nodes × (1 edge + 2 inbound links + 1 dir)
    expect(layout.proxies).toHaveLength(24);
    expect(new Set(names).size).toBe(names.length);
    const edge = layout.proxies.find((p) => p.name === 'edge:clients->us-east.n2');
    expect(edge?.listenHost).toBe('127.0.2.1');
  });

  it('refuses repeated regions and empty topologies', () => {
    expect(() => planLayout(['a', 'a'], 1)).toThrow(/repeat/);
    expect(() => planLayout([], 1)).toThrow(/at least one region/);
  });

  it('lists a new node’s proxies the same way as the initial ones', () => {
    const proxies = proxiesForNode(['a', 'b'], 'b', 'n3');
    expect(proxies.map((p) => p.name)).toEqual(['edge:clients->b.n3', 'link:a->b.n3', 'dir:b.n3']);
  });

  it('formats a readable block', () => {
    const text = formatLayout(planLayout(['a', 'b'], 1));
    expect(text).toContain('region a  (127.0.1.x)');
    expect(text).toContain('node b/n1  127.0.2.11');
    expect(text).toContain('proxy link:a->b.n1  listen 127.0.2.1');
  });
});

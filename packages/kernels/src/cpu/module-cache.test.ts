import { describe, expect, it } from 'vitest';
import { ModuleCache } from './module-cache';

describe('ModuleCache', () => {
  it('builds a key once, and starts afresh after 256 keys', () => {
    const cache = new ModuleCache<number>();
    let builds = 0;
    const build = () => ++builds;
    expect(cache.get('a', build)).toBe(1);
    expect(cache.get('a', build)).toBe(1);
    for (let i = 0; i < 255; i++) cache.get(`k${i}`, build);
    expect(builds).toBe(256);
    cache.get('full', build); // the 257th key clears the cache first
    expect(cache.get('a', build)).toBe(258);
  });
});

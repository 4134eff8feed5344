import { afterEach, describe, expect, it, vi } from 'vitest';
import { KernelError } from '../errors';
import { availableCores, resolveThreads, THREADS_ENV } from './thread-count';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('resolveThreads', () => {
  it('defaults to every available core; the option beats VQKIT_CPU_THREADS', () => {
    expect(resolveThreads(undefined, {})).toBe(availableCores());
    expect(resolveThreads(undefined, { [THREADS_ENV]: ' 1 ' })).toBe(1);
    expect(resolveThreads(1, { [THREADS_ENV]: '2' })).toBe(1);
    expect(resolveThreads(undefined, { [THREADS_ENV]: '' })).toBe(availableCores());
  });

  it.each(['0', 'abc', '-1', '1.5', '2x'])(
    'VQKIT_CPU_THREADS=%s: a KernelError naming the variable',
    (value) => {
      const run = () => resolveThreads(undefined, { [THREADS_ENV]: value });
      expect(run).toThrow(KernelError);
      expect(run).toThrow(
        `VQKIT_CPU_THREADS must be a positive integer (1 = single-threaded), got '${value}'. Unset it to use all ${availableCores()} available cores`,
      );
    },
  );

  it('more threads than cores: allowed, warned once', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const many = availableCores() + 2;
    expect(resolveThreads(many, {})).toBe(many);
    expect(resolveThreads(undefined, { [THREADS_ENV]: String(many + 1) })).toBe(many + 1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(
      new RegExp(
        `${many} cpu threads requested \\(options.threads = ${many}\\) but only ${availableCores()} cores`,
      ),
    );
  });
});

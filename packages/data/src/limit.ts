/**
 * A FIFO concurrency limiter: at most `max` tasks run at once and waiting tasks start in the
 * order they were submitted, so samples of the batch needed next are decoded before samples of
 * batches prefetched after it.
 */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimiter(max: number): Limiter {
  let active = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    active--;
    const next = queue.shift();
    if (next) next();
  };
  return <T>(task: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const run = () => {
        active++;
        task().then(
          (v) => {
            release();
            resolve(v);
          },
          (e) => {
            release();
            reject(e);
          },
        );
      };
      if (active < max) run();
      else queue.push(run);
    });
}

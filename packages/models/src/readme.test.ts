import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const blocks = [...readFileSync(`${root}README.md`, 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map(
  (m) => m[1] as string,
);

describe('README examples run as written', () => {
  it('has the training example and the custom-quantizer example', () => {
    expect(blocks).toHaveLength(2);
  });

  for (const [i, code] of blocks.entries()) {
    it(`example ${i + 1}`, async () => {
      const dir = `${root}.vitest`;
      mkdirSync(dir, { recursive: true });
      const file = `${dir}/readme-example-${i + 1}.ts`;
      writeFileSync(file, code);
      const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
      try {
        await import(/* @vite-ignore */ file);
        expect(log).toHaveBeenCalled();
        const last = log.mock.calls.at(-1)!;
        if (i === 0)
          expect(last).toEqual([
            [1, 4, 4],
            [1, 16, 16, 3],
          ]);
        else
          expect(last.slice(1)).toEqual([
            [2, 4, 4],
            [2, 2, 2],
          ]);
      } finally {
        log.mockRestore();
      }
    });
  }
});

import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, main } from '../cli';
import { playgroundDist, runPlayground, servePlayground } from './playground';

/** A raw GET (fetch would normalise `..` away before it reaches the server). */
function get(port: number, path: string, method = 'GET') {
  return new Promise<{ status: number; type: string; body: string }>((done, fail) => {
    const req = request({ host: 'localhost', port, path, method }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () =>
        done({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', fail);
    req.end();
  });
}

describe('vqkit playground', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vqkit-playground-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>page</title>');
    writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, '..', 'vqkit-playground-secret.txt'), 'secret');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(dir, '..', 'vqkit-playground-secret.txt'), { force: true });
  });

  it('serves the page and its assets with content types, and nothing outside its folder', async () => {
    const server = await servePlayground({ dir, port: 0 });
    try {
      expect(server.url).toBe(`http://localhost:${server.port}/`);
      const index = await get(server.port, '/');
      expect(index).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
      expect(index.body).toContain('<title>page</title>');
      expect((await get(server.port, '/assets/app.js?v=1')).type).toMatch(/^text\/javascript/);
      expect((await get(server.port, '/missing.js')).status).toBe(404);
      expect((await get(server.port, '/../vqkit-playground-secret.txt')).status).toBe(404);
      expect((await get(server.port, '/%2e%2e/vqkit-playground-secret.txt')).status).toBe(404);
      expect((await get(server.port, '/', 'POST')).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('prints the address and serves until stopped', async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    const done = runPlayground({ dir, port: 0, signal: stop.signal, log: (l) => lines.push(l) });
    await expect.poll(() => lines.length).toBe(1);
    expect(lines[0]).toMatch(/^vqkit playground: open http:\/\/localhost:\d+\/ in a browser/);
    const port = Number(/:(\d+)\//.exec(lines[0]!)![1]);
    expect((await get(port, '/')).status).toBe(200);
    stop.abort();
    await done;
    await expect(get(port, '/')).rejects.toThrow();
  });

  it('says how to build the page when it is missing', async () => {
    await expect(servePlayground({ dir: join(dir, 'assets'), port: 0 })).rejects.toThrow(
      /the page is not built .*Run `npm run build` in the repository root first\./,
    );
  });

  it('rejects a bad --port with exit code 2 and says what is allowed', async () => {
    const errors: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => {
      errors.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      expect(await main(['node', 'vqkit', 'playground', '--port', 'x'])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(errors.join('')).toContain("--port must be an integer from 0 to 65535, got 'x'");
  });

  it('finds the built page in the @vqkit/playground workspace and is a registered command', async () => {
    expect(realpathSync(join(playgroundDist(), '..'))).toMatch(/apps[\\/]playground$/);
    const command = buildProgram().commands.find((c) => c.name() === 'playground');
    expect(command?.options.map((o) => o.long)).toEqual(['--port', '--host']);
  });
});

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { inputError } from '../config/errors';

/** Content types of the files a Vite build of the playground contains. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** The built page's folder: `dist/` of the @vqkit/playground workspace (a dependency of this app). */
export function playgroundDist(): string {
  const pkg = createRequire(import.meta.url).resolve('@vqkit/playground/package.json');
  return join(dirname(pkg), 'dist');
}

/** A running playground server. */
export interface PlaygroundServer {
  /** `http://localhost:<port>/` — localhost is a secure origin, so the page may use WebGPU. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Options of {@link servePlayground}. */
export interface ServeOptions {
  /** Folder holding index.html. @default {@link playgroundDist} */
  dir?: string;
  /** TCP port; 0 picks a free one. @default 5178 */
  port?: number;
  /** Interface to listen on. @default 'localhost' (nothing outside this machine can connect) */
  host?: string;
}

/** The file a URL path names inside `root`, or null when it escapes `root` or does not exist. */
function fileFor(root: string, urlPath: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split('?')[0] ?? '/');
  } catch {
    return null;
  }
  const full = normalize(join(root, path));
  if (full !== root && !full.startsWith(root + sep)) return null;
  const file = existsSync(full) && statSync(full).isDirectory() ? join(full, 'index.html') : full;
  return existsSync(file) && statSync(file).isFile() ? file : null;
}

/**
 * Serves the built playground page (a static folder) over HTTP on localhost: GET and HEAD only,
 * no directory listings, nothing outside the folder.
 * @throws ExperimentsError (exit 2) when the folder has no index.html (the page is not built).
 */
export async function servePlayground(options: ServeOptions = {}): Promise<PlaygroundServer> {
  const root = resolve(options.dir ?? playgroundDist());
  if (!existsSync(join(root, 'index.html'))) {
    throw inputError(
      `vqkit playground: the page is not built (no ${join(root, 'index.html')}). Run \`npm run build\` in the repository root first.`,
    );
  }
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const file = fileFor(root, req.url ?? '/');
    if (file === null) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    const body = readFileSync(file);
    res.writeHead(200, {
      'content-type': type,
      'content-length': body.length,
      'cache-control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  const host = options.host ?? 'localhost';
  await listen(server, options.port ?? 5178, host);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    port,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'EADDRINUSE'
          ? inputError(
              `vqkit playground: port ${port} on ${host} is in use. Pass --port <n> (or --port 0 for any free port).`,
            )
          : error,
      ),
    );
    server.listen(port, host, () => done());
  });
}

/** Options of {@link runPlayground}. */
export interface PlaygroundCommandOptions extends ServeOptions {
  /** Ends serving when aborted. @default SIGINT/SIGTERM */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** Serves the page, prints its address, and serves until Ctrl+C (or `signal`). */
export async function runPlayground(o: PlaygroundCommandOptions = {}): Promise<void> {
  const server = await servePlayground(o);
  const log = o.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  log(`vqkit playground: open ${server.url} in a browser (Ctrl+C to stop).`);
  await new Promise<void>((done) => {
    if (o.signal !== undefined) {
      if (o.signal.aborted) done();
      o.signal.addEventListener('abort', () => done(), { once: true });
      return;
    }
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  await server.close();
}

/** `vqkit playground [--port N] [--host H]`: serves the built playground page on localhost. */
export function register(program: Command): void {
  program
    .command('playground')
    .description(
      'Serve the in-browser playground (train a VQ-VAE in a tab, watch its codebook) on localhost and print its address',
    )
    .option('--port <n>', 'TCP port (0 = any free port)', '5178')
    .option('--host <host>', 'interface to listen on', 'localhost')
    .action(async (opts: { port: string; host: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw inputError(
          `vqkit playground: --port must be an integer from 0 to 65535, got '${opts.port}'.`,
        );
      }
      await runPlayground({ port, host: opts.host });
    });
}

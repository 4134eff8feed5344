/**
 * What the real-browser test needs besides the test itself: Debian's chromium (no browser
 * download), a fresh build of the page, and a local server for it.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type PreviewServer, preview } from 'vite';

export const APP_ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPO_ROOT = join(APP_ROOT, '..', '..');
export const DIST = join(APP_ROOT, 'dist');
/** The test's output folder (next to .vitest/results.json): screenshots and downloads. */
export const OUTPUT_DIR = join(APP_ROOT, '.vitest', 'browser');

/** Where Debian (and derivatives) install chromium; VQKIT_CHROMIUM overrides. */
const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The chromium executable to drive, or null when none is installed. */
export function findChromium(): string | null {
  const fromEnv = process.env.VQKIT_CHROMIUM;
  if (fromEnv !== undefined && fromEnv !== '') return existsSync(fromEnv) ? fromEnv : null;
  return CHROMIUM_PATHS.find((p) => existsSync(p)) ?? null;
}

export const CHROMIUM_HINT =
  "Debian's chromium is not installed, so the playground's real-browser test cannot run. " +
  'Install it with `apt-get install chromium` (or set VQKIT_CHROMIUM to a Chromium executable).';

/** Newest modification time of any file under `dir` (0 when it does not exist). */
function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Sources the page is built from: its own files and every package's src/. */
function sourcesMtime(): number {
  const own = ['src', 'public', 'index.html', 'vite.config.ts'].map((p) => {
    const path = join(APP_ROOT, p);
    return existsSync(path) && statSync(path).isFile() ? statSync(path).mtimeMs : newestMtime(path);
  });
  const packages = join(REPO_ROOT, 'packages');
  const pkgs = readdirSync(packages).map((p) => newestMtime(join(packages, p, 'src')));
  return Math.max(...own, ...pkgs);
}

/** Builds the page when dist/ is missing or older than its sources (so the test never tests a stale page). */
export async function ensureBuilt(): Promise<'built' | 'up to date'> {
  const index = join(DIST, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= sourcesMtime()) return 'up to date';
  await build({ root: APP_ROOT, logLevel: 'warn', configFile: join(APP_ROOT, 'vite.config.ts') });
  return 'built';
}

/** Serves dist/ on http://localhost:<free port>/ (localhost is a secure origin: WebGPU is allowed). */
export async function servePage(): Promise<{ url: string; close: () => Promise<void> }> {
  const server: PreviewServer = await preview({
    root: APP_ROOT,
    configFile: join(APP_ROOT, 'vite.config.ts'),
    logLevel: 'silent',
    preview: { host: 'localhost', port: 0, strictPort: false, open: false },
  });
  const address = server.httpServer.address();
  if (address === null || typeof address === 'string') throw new Error('preview: no TCP address');
  return { url: `http://localhost:${address.port}/`, close: () => server.close() };
}

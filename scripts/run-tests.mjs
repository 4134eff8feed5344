#!/usr/bin/env node
// `npm test`: runs every workspace's vitest suite through turbo, then prints one closing line
// "N passed, N failed, N skipped" summed over all packages (from each .vitest/results.json).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const workspaces = ['packages', 'apps'].flatMap((dir) =>
  existsSync(join(root, dir))
    ? readdirSync(join(root, dir)).map((name) => join(root, dir, name))
    : [],
);
for (const ws of workspaces) rmSync(join(ws, '.vitest'), { recursive: true, force: true });

const extra = process.argv.slice(2);
const run = spawnSync(
  'npx',
  ['turbo', 'run', 'test', '--concurrency=1', '--continue', '--output-logs=full', ...extra],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp' },
  },
);

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const ws of workspaces) {
  if (!existsSync(join(ws, 'package.json'))) continue;
  const pkg = JSON.parse(readFileSync(join(ws, 'package.json'), 'utf8'));
  if (!pkg.scripts?.test) continue;
  const file = join(ws, '.vitest', 'results.json');
  if (!existsSync(file)) {
    missing.push(pkg.name);
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  // A suite that failed to load counts as a failure even when no test inside it ran.
  failed += (r.testResults ?? []).filter(
    (f) => f.status === 'failed' && f.assertionResults.length === 0,
  ).length;
}
for (const name of missing)
  console.error(`run-tests: ${name} wrote no results (its test run crashed)`);
failed += missing.length;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);

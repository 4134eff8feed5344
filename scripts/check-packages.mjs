#!/usr/bin/env node
// Installs every publishable package the way its README says, in an empty folder, and runs the
// README's example there; bundles the browser-safe packages for the browser.
//
//   node scripts/check-packages.mjs [--example-node <node ≥ 23 binary>] [--only <name,...>]
//
// Needs `npm run build` first. For each package under packages/ that is not private:
// 1. `npm pack` it (and every other vqkit package, so its @vqkit dependencies come from tarballs,
//    never from a registry);
// 2. in a new empty folder, install exactly the packages named by the README's install line
//    (the first `npm install …` line in a code block), @vqkit names mapped to the tarballs;
// 3. run the README's example (the first ```ts / ```js block after that line) with a Node that
//    strips TypeScript types (Node ≥ 23; the newest LTS in CI) — it must exit 0;
// 4. the tarball holds LICENSE, README.md and package.json, and the README's install line names
//    every package its example imports;
// 5. for browser-safe packages, bundle `export * from '<package>'` with esbuild for the browser
//    from that folder: any Node-only import fails the bundle.
// Prints one line per check and exits 1 if any failed.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** Packages that must bundle for `platform: 'browser'` (issue 13 §4). */
const BROWSER_SAFE = new Set([
  '@vqkit/capacity',
  '@vqkit/quantizer',
  '@vqkit/metrics',
  '@vqkit/backbones',
  '@vqkit/models',
  '@vqkit/random',
]);

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    'example-node': { type: 'string', default: process.execPath },
    only: { type: 'string' },
  },
});
const exampleNode = values['example-node'];
const only = values.only ? new Set(values.only.split(',')) : null;

const packages = readdirSync(join(root, 'packages'))
  .map((dir) => join(root, 'packages', dir))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ pkg }) => !pkg.private);

const work = mkdtempSync(join(tmpdir(), 'vqkit-packages-'));
const packs = join(work, 'packs');
mkdirSync(packs);
const tarballs = new Map();
for (const { dir, pkg } of packages) {
  if (!existsSync(join(dir, 'dist'))) fail(`${pkg.name}: no dist/ — run \`npm run build\` first.`);
  const r = run('npm', ['pack', '--silent', '--pack-destination', packs], dir);
  tarballs.set(pkg.name, join(packs, r.stdout.trim().split('\n').pop()));
}

const results = [];
for (const { dir, pkg } of packages) {
  if (only && !only.has(pkg.name) && !only.has(pkg.name.replace('@vqkit/', ''))) continue;
  results.push(...checkPackage(dir, pkg));
}
for (const r of results)
  console.log(
    `${r.ok ? 'ok  ' : 'FAIL'} ${r.name}: ${r.what}${r.ok ? '' : `\n${indent(r.detail)}`}`,
  );
const failed = results.filter((r) => !r.ok).length;
console.log(
  `check-packages: ${results.length - failed} passed, ${failed} failed (work folder ${work})`,
);
process.exit(failed === 0 ? 0 : 1);

function checkPackage(dir, pkg) {
  const out = [];
  const listing = run('tar', ['tzf', tarballs.get(pkg.name)], dir);
  const shipped = new Set(listing.stdout.split('\n'));
  const missing = ['package/LICENSE', 'package/README.md', 'package/package.json'].filter(
    (f) => !shipped.has(f),
  );
  out.push({
    name: pkg.name,
    ok: listing.status === 0 && missing.length === 0,
    what: 'tarball holds LICENSE, README.md, package.json',
    detail: `missing from the tarball: ${missing.join(', ')}`,
  });
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  const parsed = parseReadme(readme);
  if (parsed.error) return [{ name: pkg.name, ok: false, what: 'README', detail: parsed.error }];
  const unlisted = importedPackages(parsed.example).filter(
    (name) => !parsed.install.some((spec) => splitSpec(spec).name === name),
  );
  if (unlisted.length > 0)
    out.push({
      name: pkg.name,
      ok: false,
      what: 'README install line names every package the example imports',
      detail: `not installed by \`${parsed.installLine}\`: ${unlisted.join(', ')}`,
    });
  const folder = join(work, pkg.name.replace('@vqkit/', ''));
  mkdirSync(folder);
  const dependencies = {};
  for (const spec of parsed.install) {
    const { name, range } = splitSpec(spec);
    dependencies[name] = tarballs.has(name) ? `file:${tarballs.get(name)}` : range;
  }
  const overrides = {};
  for (const [name, file] of tarballs)
    if (!(name in dependencies)) overrides[name] = `file:${file}`;
  writeFileSync(
    join(folder, 'package.json'),
    `${JSON.stringify({ name: 'readme-check', private: true, type: 'module', dependencies, overrides }, null, 2)}\n`,
  );
  const install = run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], folder);
  out.push(result(pkg.name, `installs with \`${parsed.installLine}\``, install));
  if (install.status !== 0) return out;
  const file = join(folder, `example.${parsed.lang === 'ts' ? 'mts' : 'mjs'}`);
  writeFileSync(file, parsed.example);
  const example = run(exampleNode, [file], folder, { timeout: 180_000 });
  out.push(result(pkg.name, 'README example runs', example));
  if (BROWSER_SAFE.has(pkg.name)) {
    writeFileSync(join(folder, 'browser-entry.mjs'), `export * from '${pkg.name}';\n`);
    const esbuild = join(root, 'node_modules', '.bin', 'esbuild');
    const bundle = run(
      esbuild,
      [
        'browser-entry.mjs',
        '--bundle',
        '--platform=browser',
        '--format=esm',
        '--log-level=error',
        '--outfile=browser-bundle.js',
      ],
      folder,
    );
    out.push(result(pkg.name, 'bundles for the browser (esbuild platform=browser)', bundle));
  }
  return out;
}

/** The install line (first `npm install` in a code block) and the first ts/js block after it. */
function parseReadme(text) {
  const blocks = [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[1],
    body: m[2],
    at: m.index,
  }));
  let installAt = -1;
  let installLine = null;
  for (const b of blocks) {
    const line = b.body.split('\n').find((l) => /^\s*npm (install|i) /.test(l));
    if (line) {
      installLine = line.trim();
      installAt = b.at;
      break;
    }
  }
  if (installLine === null) return { error: 'README has no `npm install …` line in a code block.' };
  const example = blocks.find(
    (b) => b.at > installAt && ['ts', 'typescript', 'js', 'mjs'].includes(b.lang),
  );
  if (!example) return { error: 'README has no ```ts or ```js example after its install line.' };
  const install = installLine
    .replace(/^npm (install|i)\s+/, '')
    .split(/\s+/)
    .filter((t) => t && !t.startsWith('-'));
  return {
    installLine,
    install,
    example: example.body,
    lang: example.lang === 'ts' || example.lang === 'typescript' ? 'ts' : 'js',
  };
}

/** Package names the example imports (`node:` builtins and relative paths excluded). */
function importedPackages(source) {
  const names = new Set();
  for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?['"]([^'"]+)['"]/g)) {
    const spec = m[1];
    if (spec.startsWith('.') || spec.startsWith('node:') || spec.startsWith('/')) continue;
    const parts = spec.split('/');
    names.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
  }
  for (const m of source.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = m[1];
    if (spec.startsWith('.') || spec.startsWith('node:')) continue;
    const parts = spec.split('/');
    names.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
  }
  return [...names];
}

function splitSpec(spec) {
  const at = spec.lastIndexOf('@');
  return at > 0
    ? { name: spec.slice(0, at), range: spec.slice(at + 1) }
    : { name: spec, range: 'latest' };
}

function run(cmd, args, cwd, options = {}) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: process.env, ...options });
  return {
    status: r.status ?? 1,
    stdout: r.stdout ?? '',
    stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}`,
  };
}

function result(name, what, r) {
  return {
    name,
    what,
    ok: r.status === 0,
    detail: `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-15).join('\n'),
  };
}

function indent(text) {
  return text.replace(/^/gm, '      ');
}

function fail(message) {
  console.error(`check-packages: ${message}`);
  process.exit(2);
}

import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { inputError } from './errors';
import { isPresetName, PRESETS } from './presets';
import { QUANTIZER_KINDS, type QuantizerKind, quantizerKeys } from './quantizer-schema';
import { type RunConfig, runConfigSchema } from './schema';

/** Options of {@link resolveConfig}. */
export interface ResolveOptions {
  /**
   * Require `data.train` and `data.val`. With `false` a missing one is filled with
   * {@link UNSET_DATA}, so a config can be printed, listed or dry-run without its image folders
   * (`vqkit config --print paper`, `vqkit train --dry-run`, `vqkit sweep --list`); never train on it.
   * @default true
   */
  requireData?: boolean;
}

/** What {@link resolveConfig} puts in a missing data folder when `requireData` is false. */
export const UNSET_DATA = '(unset)';

/** Keys that would reach `Object.prototype` (or a constructor) when written: refused everywhere. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Resolves a run configuration: a preset name (`paper`, `tiny`, `demo`), a JSON or YAML file, or a
 * plain object; then each `--set key.path=value` override (the value is parsed as JSON when it is
 * valid JSON, else taken as a string); then validation with every default filled in.
 *
 * @throws ExperimentsError (exit code 2) naming the key path and the expected type for an unknown
 *   key or a wrong type, a `__proto__` / `constructor` / `prototype` key anywhere, or naming the
 *   file for an unreadable/unparsable file.
 * @example resolveConfig('tiny', ['architecture=hierarchical', 'train.epochs=1'])
 */
export function resolveConfig(
  source: string | object,
  sets: readonly string[] = [],
  options: ResolveOptions = {},
): RunConfig {
  const { raw, origin, defaultName } = readSource(source);
  for (const assignment of sets) applySet(raw, assignment);
  assertNoForbiddenKeys(raw, origin);
  if (options.requireData === false) fillUnsetData(raw);
  const parsed = runConfigSchema.safeParse(raw);
  if (!parsed.success) throw inputError(formatIssues(origin, parsed.error, raw));
  const config = parsed.data as RunConfig;
  if (config.name === undefined) config.name = `${defaultName}-${config.architecture}`;
  return orderKeys(config);
}

/** The data keys of a config that {@link resolveConfig} filled with {@link UNSET_DATA}. */
export function unsetDataKeys(config: RunConfig): string[] {
  return (['train', 'val'] as const)
    .filter((k) => config.data[k] === UNSET_DATA)
    .map((k) => `data.${k}`);
}

/** The raw mapping a source names (a fresh copy), where it came from, and the run name it implies. */
function readSource(source: unknown): {
  raw: Record<string, unknown>;
  origin: string;
  defaultName: string;
} {
  let raw: unknown;
  let origin: string;
  let defaultName: string;
  if (typeof source === 'string') {
    if (isPresetName(source)) {
      raw = structuredClone(PRESETS[source]);
      origin = `preset '${source}'`;
      defaultName = source;
    } else {
      raw = readConfigFile(source);
      origin = `config file ${source}`;
      defaultName = safeDefaultName(basename(source, extname(source)));
    }
  } else if (source !== null && typeof source === 'object' && !Array.isArray(source)) {
    raw = cloneData(source);
    origin = 'config object';
    defaultName = 'run';
  } else {
    throw inputError(
      `resolveConfig: source must be a preset name (${Object.keys(PRESETS).join(', ')}), a path to a JSON/YAML file, or an object; got ${describe(source)}.`,
    );
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw inputError(
      `${origin}: the top level must be a mapping of keys (name, architecture, data, model, …), got ${describe(raw)}.`,
    );
  }
  return { raw: raw as Record<string, unknown>, origin, defaultName };
}

/** A deep copy of plain data; functions, symbols and class instances are refused by name. */
function cloneData(source: object): unknown {
  try {
    return structuredClone(source);
  } catch (error) {
    throw inputError(
      `resolveConfig: a config object must be plain data (mappings, arrays, strings, numbers, booleans, null); structuredClone refused it: ${(error as Error).message}`,
      error,
    );
  }
}

/** A file name made usable as a run name: characters outside `[A-Za-z0-9._-]` become `-`. */
function safeDefaultName(stem: string): string {
  const name = stem.replace(/[^A-Za-z0-9._-]+/g, '-');
  return name === '' || name === '.' || name === '..' ? 'run' : name;
}

/**
 * Refuses `__proto__`, `constructor` and `prototype` keys at any depth (JSON.parse and YAML create
 * them as own keys; writing through them would pollute `Object.prototype`).
 */
function assertNoForbiddenKeys(value: unknown, origin: string, path = '', depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 64) return;
  for (const key of Object.keys(value)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (FORBIDDEN_KEYS.has(key)) {
      throw inputError(
        `${origin}: key '${at}' is not allowed ('__proto__', 'constructor' and 'prototype' are never config keys). Remove it; \`vqkit config --schema\` lists every key.`,
      );
    }
    assertNoForbiddenKeys((value as Record<string, unknown>)[key], origin, at, depth + 1);
  }
}

/** Fills missing `data.train` / `data.val` with {@link UNSET_DATA} (see `requireData`). */
function fillUnsetData(raw: Record<string, unknown>): void {
  if (raw['data'] === undefined) raw['data'] = {};
  const data = raw['data'];
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return;
  const d = data as Record<string, unknown>;
  for (const key of ['train', 'val']) if (d[key] === undefined) d[key] = UNSET_DATA;
}

/** Reads and parses a JSON or YAML config file. */
function readConfigFile(path: string): unknown {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw inputError(
      `--config: '${path}' is neither a preset (${Object.keys(PRESETS).join(', ')}) nor an existing file. ` +
        'Pass a preset name or the path of a .json / .yaml config file.',
    );
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw inputError(
      `--config: cannot read ${path} (${code}: ${(error as Error).message}). Check the path and its permissions.`,
      error,
    );
  }
  const ext = extname(path).toLowerCase();
  try {
    if (ext === '.json') return JSON.parse(text);
    return parseYaml(text); // YAML is a superset of JSON, so .yaml, .yml and anything else parse here.
  } catch (error) {
    throw inputError(
      `--config: cannot parse ${path} as ${ext === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}. Fix the syntax and rerun.`,
      error,
    );
  }
}

/** Applies one `key.path=value` assignment in place. */
export function applySet(target: Record<string, unknown>, assignment: string): void {
  if (typeof assignment !== 'string') {
    throw inputError(
      `--set: expected a string key.path=value, got ${describe(assignment)}. Example: --set train.epochs=10`,
    );
  }
  const eq = assignment.indexOf('=');
  if (eq <= 0) {
    throw inputError(
      `--set: expected key.path=value, got '${assignment}'. Example: --set train.epochs=10`,
    );
  }
  const path = assignment.slice(0, eq).trim();
  const text = assignment.slice(eq + 1);
  const keys = path.split('.');
  if (keys.some((k) => k.length === 0)) {
    throw inputError(
      `--set: '${path}' is not a valid key path (empty segment). Example: --set model.single.codeDim=16`,
    );
  }
  const forbidden = keys.find((k) => FORBIDDEN_KEYS.has(k));
  if (forbidden !== undefined) {
    throw inputError(
      `--set ${path}: '${forbidden}' is not allowed in a key path ('__proto__', 'constructor' and 'prototype' are never config keys). Use a key such as train.epochs; \`vqkit config --schema\` lists every key.`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  let node: Record<string, unknown> = target;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i]!;
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (next === undefined || next === null) {
      node[key] = {};
    } else if (typeof next !== 'object' || Array.isArray(next)) {
      throw inputError(
        `--set ${path}: '${keys.slice(0, i + 1).join('.')}' is ${describe(next)}, not a mapping, so it has no key '${keys[i + 1]}'.`,
      );
    }
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' && !Number.isFinite(value)) return `the non-finite number ${value}`;
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'function' || typeof value === 'symbol') return `a ${typeof value}`;
  if (typeof value === 'bigint') return `the bigint ${value}`;
  if (value === undefined) return 'undefined';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** One line per problem, each naming the key path, what was expected and what was got. */
function formatIssues(origin: string, error: z.ZodError, raw: unknown): string {
  const lines: string[] = [];
  for (const issue of error.issues) {
    const at = issue.path.map(String).join('.');
    const where = at.length > 0 ? at : '(top level)';
    switch (issue.code) {
      case 'unrecognized_keys': {
        if (at === 'quantizer') {
          lines.push(...unknownQuantizerKeys(issue.keys, raw));
          break;
        }
        const parent = valueAt(runConfigShapeDefaults, issue.path);
        const known =
          parent && typeof parent === 'object'
            ? ` Known keys here: ${Object.keys(parent).join(', ')}.`
            : '';
        for (const key of issue.keys) {
          const full = at.length > 0 ? `${at}.${key}` : key;
          lines.push(`unknown key '${full}'.${known}`);
        }
        break;
      }
      case 'invalid_union':
        if (at === 'quantizer.kind') {
          lines.push(
            `'quantizer.kind' must be one of ${QUANTIZER_KINDS.map((k) => JSON.stringify(k)).join(', ')}, got ${describe(valueAt(raw, issue.path))}. Each family takes its own options: \`vqkit config --schema\` lists them.`,
          );
          break;
        }
        lines.push(`'${where}': ${issue.message} (got ${describe(valueAt(raw, issue.path))}).`);
        break;
      case 'invalid_type': {
        const got = valueAt(raw, issue.path);
        if (got === undefined) {
          lines.push(`'${where}' is required (expected ${issue.expected}).${requiredHint(at)}`);
        } else if (typeof got === 'number' && !Number.isFinite(got)) {
          lines.push(
            `'${where}' must be a finite number, got ${got} (JSON numbers beyond ±1.8e308 overflow to infinity). Use a finite value, e.g. --set train.learningRate=3e-4.`,
          );
        } else {
          lines.push(`'${where}' must be ${article(issue.expected)}, got ${describe(got)}.`);
        }
        break;
      }
      case 'invalid_value':
        lines.push(
          `'${where}' must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describe(valueAt(raw, issue.path))}.`,
        );
        break;
      default:
        lines.push(`'${where}': ${issue.message} (got ${describe(valueAt(raw, issue.path))}).`);
    }
  }
  return `Invalid run config (${origin}):\n  - ${lines.join('\n  - ')}`;
}

/** Unknown keys of the `quantizer` section, named with the keys of the family its `kind` names. */
function unknownQuantizerKeys(keys: readonly string[], raw: unknown): string[] {
  const given = valueAt(raw, ['quantizer', 'kind']);
  const kind: QuantizerKind = (QUANTIZER_KINDS as readonly unknown[]).includes(given)
    ? (given as QuantizerKind)
    : 'vq';
  const known = quantizerKeys(kind);
  return keys.map((key) => {
    const owners = QUANTIZER_KINDS.filter((k) => k !== kind && quantizerKeys(k).includes(key));
    const hint =
      owners.length === 0
        ? ''
        : ` It is an option of quantizer.kind ${owners.map((k) => `'${k}'`).join(', ')}, not of '${kind}': a preset's options do not carry over to another family, so replace the whole section, e.g. --set 'quantizer={"kind":"fsq","levels":[8,5,5,5]}'.`;
    return `unknown key 'quantizer.${key}' for quantizer.kind '${kind}'. Known keys here: ${known.join(', ')}.${hint}`;
  });
}

function article(expected: string): string {
  const type = expected === 'int' ? 'integer' : expected;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function requiredHint(path: string): string {
  if (path === 'data.train' || path === 'data.val' || path === 'data') {
    return " Point it at an image folder (e.g. --set data.train=/data/imagenet/train --set data.val=/data/imagenet/val) or use 'demo' for the bundled photos.";
  }
  return '';
}

/** A fully defaulted config used only to list the known keys of each mapping in error messages. */
const runConfigShapeDefaults: unknown = runConfigSchema.parse({
  data: { train: 'x', val: 'x' },
  name: 'x',
});

/** Returns the config with keys in schema order (stable config.json files). */
function orderKeys(config: RunConfig): RunConfig {
  const {
    name,
    architecture,
    seed,
    data,
    model,
    quantizer,
    train,
    eval: evalCfg,
    allowUnmatched,
    tags,
  } = config;
  return {
    name,
    architecture,
    seed,
    data,
    model,
    quantizer,
    train,
    eval: evalCfg,
    allowUnmatched,
    tags,
  };
}

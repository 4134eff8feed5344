import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { inputError } from './errors';
import { isPresetName, PRESETS } from './presets';
import { type RunConfig, runConfigSchema } from './schema';

/**
 * Resolves a run configuration: a preset name (`paper`, `tiny`, `demo`), a JSON or YAML file, or a
 * plain object; then each `--set key.path=value` override (the value is parsed as JSON when it is
 * valid JSON, else taken as a string); then validation with every default filled in.
 *
 * @throws ExperimentsError (exit code 2) naming the key path and the expected type for an unknown
 *   key or a wrong type, or naming the file for an unreadable/unparsable file.
 * @example resolveConfig('tiny', ['architecture=hierarchical', 'train.epochs=1'])
 */
export function resolveConfig(source: string | object, sets: string[] = []): RunConfig {
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
      defaultName = basename(source, extname(source));
    }
  } else if (source !== null && typeof source === 'object' && !Array.isArray(source)) {
    raw = structuredClone(source);
    origin = 'config object';
    defaultName = 'run';
  } else {
    throw inputError(
      `resolveConfig: source must be a preset name (${Object.keys(PRESETS).join(', ')}), a path to a JSON/YAML file, or an object; got ${JSON.stringify(source)}.`,
    );
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw inputError(
      `${origin}: the top level must be a mapping of keys (name, architecture, data, model, …), got ${describe(raw)}.`,
    );
  }
  for (const assignment of sets) applySet(raw as Record<string, unknown>, assignment);
  const parsed = runConfigSchema.safeParse(raw);
  if (!parsed.success) throw inputError(formatIssues(origin, parsed.error, raw));
  const config = parsed.data as RunConfig;
  if (config.name === undefined) config.name = `${defaultName}-${config.architecture}`;
  return orderKeys(config);
}

/** Reads and parses a JSON or YAML config file. */
function readConfigFile(path: string): unknown {
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw inputError(
      `--config: '${path}' is neither a preset (${Object.keys(PRESETS).join(', ')}) nor an existing file. ` +
        'Pass a preset name or the path of a .json / .yaml config file.',
    );
  }
  const text = readFileSync(path, 'utf8');
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
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  let node: Record<string, unknown> = target;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i]!;
    const next = node[key];
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
      case 'invalid_type': {
        const got = valueAt(raw, issue.path);
        if (got === undefined) {
          lines.push(`'${where}' is required (expected ${issue.expected}).${requiredHint(at)}`);
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

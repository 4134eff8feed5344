import { spawn } from 'node:child_process';
import { BACKEND_CHOICES, type ResolvedBackend } from '../train/backend';
import type { ChildCommand } from './run-parallel';

/**
 * Dawn's warnings when it opens a Vulkan adapter that reports more dynamic buffers per pipeline
 * layout than Dawn's allocator supports (Mesa's lavapipe reports 1,000,000): Dawn lowers the
 * limit to 16 and says so on stderr, from native code, whenever such an adapter is probed.
 */
export const DAWN_LIMIT_WARNING =
  /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+/;

/** Why {@link DAWN_LIMIT_WARNING} is harmless, said once instead of the warnings. */
export const DAWN_LIMIT_NOTE =
  "Dawn's 'maxDynamic…BuffersPerPipelineLayout artificially reduced' warnings come from probing the WebGPU adapter: Dawn caps a limit the driver overstates; harmless (neither tfjs nor vqkit uses dynamic buffer offsets)";

/** The backend the children of a parallel study run on. */
export interface ChildBackend {
  /** `--backend` of every child: a backend name, or `auto` when it could not be resolved once. */
  backend: string;
  /** Log lines saying what was decided. */
  lines: string[];
  /** Whether `lines` explain Dawn's warnings ({@link DAWN_LIMIT_NOTE}). */
  dawnExplained: boolean;
}

/** Output of one child process: exit code, stdout, stderr lines. */
async function capture(command: ChildCommand, args: string[]) {
  const [exe, ...lead] = command.argv;
  const child = spawn(exe!, [...lead, ...args], {
    env: { ...process.env, ...command.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += String(c);
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += String(c);
  });
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', (e) => {
      stderr += e.message;
      resolve(null);
    });
    child.on('close', (c) => resolve(c));
  });
  return { code, stdout, stderr: stderr.split('\n').filter((l) => l.trim() !== '') };
}

/** The probe's answer, when its last stdout line is `vqkit backend --json` output naming a backend. */
function parseResolved(stdout: string): ResolvedBackend | null {
  const last = stdout.trim().split('\n').at(-1) ?? '';
  try {
    const r = JSON.parse(last) as Partial<ResolvedBackend>;
    const names: readonly string[] = BACKEND_CHOICES.filter((c) => c !== 'auto');
    return typeof r.name === 'string' && names.includes(r.name) ? (r as ResolvedBackend) : null;
  } catch {
    return null;
  }
}

/**
 * `--backend` for the children of a parallel study: an explicit backend as given; `auto` resolved
 * once, by one `vqkit backend --json` process, so the WebGPU adapter is probed (and Dawn's
 * {@link DAWN_LIMIT_WARNING} printed) once rather than in every child. When that process fails,
 * the children resolve `auto` themselves and the line says why.
 */
export async function resolveChildBackend(
  requested: string | undefined,
  command: ChildCommand,
): Promise<ChildBackend> {
  const backend = requested ?? 'auto';
  if (backend !== 'auto') return { backend, lines: [], dawnExplained: false };
  const probe = await capture(command, ['backend', '--backend', 'auto', '--json']);
  const resolved = probe.code === 0 ? parseResolved(probe.stdout) : null;
  const dawn = probe.stderr.some((l) => DAWN_LIMIT_WARNING.test(l));
  const other = probe.stderr.filter((l) => !DAWN_LIMIT_WARNING.test(l));
  if (resolved === null) {
    const why = other.slice(-3).join(' | ') || `exit ${probe.code}`;
    return {
      backend: 'auto',
      lines: [`backend: auto could not be resolved once (${why}); every cell resolves it itself`],
      dawnExplained: false,
    };
  }
  return {
    backend: resolved.name,
    lines: [
      `backend: auto → ${resolved.name} in every cell (${resolved.reason})`,
      ...other.map((l) => `backend probe: ${l}`),
      ...(dawn ? [DAWN_LIMIT_NOTE] : []),
    ],
    dawnExplained: dawn,
  };
}

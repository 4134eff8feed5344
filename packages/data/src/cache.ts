import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { commonFolder } from './common-folder';
import type { RgbImage } from './decode';
import { DataError, type SkippedImage } from './errors';
import type { Limiter } from './limit';
import type { StatsCollector } from './stats';

/** Bumped whenever the on-disk layout changes; older shards are then rebuilt. */
const FORMAT_VERSION = 1;
const MAGIC = 'VQKSHRD1';
const TOKEN_CHARS = 16;
const HEADER_BYTES = MAGIC.length + TOKEN_CHARS;

/** One source file as recorded in a shard index. */
interface ShardEntry {
  path: string;
  /** Source size in bytes and modification time at build time (−1 when it could not be stat'ed). */
  size: number;
  mtimeMs: number;
  /** Present for a usable image: pixel size, byte offset in the .bin file, CRC-32 of its bytes. */
  width?: number;
  height?: number;
  offset?: number;
  crc?: number;
  /** Present for an unusable image. */
  skipped?: SkippedImage;
}

interface ShardIndex {
  format: 'vqkit-data-shard';
  version: number;
  key: string;
  token: string;
  binBytes: number;
  entries: ShardEntry[];
}

/** Progress of a cache build, reported per image. */
export interface CacheProgress {
  /** Images whose cached form is ready (decoded now or found valid). */
  done: number;
  /** Images in the dataset. */
  total: number;
}

export interface ShardCacheOptions {
  dir: string;
  /** How messages name the setting that chose `dir` (e.g. `cacheDir`). */
  dirName: string;
  files: readonly string[];
  shardSize: number;
  /** Everything that determines the stored pixels (sizes, kernel, background, libvips version…). */
  key: Record<string, unknown>;
  /** Produces the base image of a file (throws DataError with `skipped` for unusable files). */
  compute: (path: string) => Promise<RgbImage>;
  limit: Limiter;
  stats: StatsCollector;
  onProgress?: (progress: CacheProgress) => void;
}

/** Result of reading one file's base image from the cache. */
export type CacheRead = { image: RgbImage } | { skipped: SkippedImage };

let tmpCounter = 0;

/** Writes `data` to `path` atomically: a sibling temp file, then rename over the target. */
async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${++tmpCounter}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/**
 * A one-time cache of decoded, resized uint8 RGB images in shards: `shard-NNNNNN.bin` holds a
 * header (magic + token) and the concatenated pixels of up to `shardSize` consecutive files,
 * `shard-NNNNNN.json` their index (source path, size, mtime, pixel size, offset, CRC-32).
 * Everything lives under `dir/<hash of key and dataset folder>/`. A shard is reused only when
 * its index parses, names the same files, every source's size and mtime match, and the .bin's
 * header token and length agree with the index; otherwise it is rebuilt. Every read is checked
 * against its CRC-32 and falls back to decoding the source when it does not match.
 */
export class ShardCache {
  private readonly folder: string;
  private readonly keyHash: string;
  private entries: (ShardEntry | undefined)[] = [];
  private prepared: Promise<void> | undefined;

  constructor(private readonly options: ShardCacheOptions) {
    const { files, key } = options;
    this.keyHash = sha1(
      JSON.stringify({ format: FORMAT_VERSION, key, dataset: commonFolder(files) }),
    ).slice(0, 16);
    this.folder = join(options.dir, this.keyHash);
  }

  /** The folder holding this dataset's shards. */
  get location(): string {
    return this.folder;
  }

  /** Validates every shard and (re)builds the missing, stale or damaged ones; runs once. */
  prepare(): Promise<void> {
    this.prepared ??= this.prepareAll().catch((err) => {
      this.prepared = undefined;
      throw err;
    });
    return this.prepared;
  }

  private async prepareAll(): Promise<void> {
    const { files, shardSize, dir, dirName, key, onProgress } = this.options;
    try {
      await mkdir(this.folder, { recursive: true });
      await writeAtomic(
        join(this.folder, 'config.json'),
        `${JSON.stringify({ format: FORMAT_VERSION, key, dataset: commonFolder(files), files: files.length }, null, 2)}\n`,
      );
    } catch (err) {
      throw new DataError(
        `createLoader: cannot write the image cache under ${dirName} "${dir}" (${(err as Error).message}). Set ${dirName} to a writable folder, or leave it unset to decode on the fly.`,
      );
    }
    this.entries = new Array(files.length);
    const shards = Math.ceil(files.length / shardSize);
    let done = 0;
    for (let s = 0; s < shards; s++) {
      const first = s * shardSize;
      const paths = files.slice(first, Math.min(files.length, first + shardSize));
      let index = await this.validate(s, paths);
      if (index) {
        this.options.stats.cacheShardsReused++;
      } else {
        index = await this.build(s, paths, (n) =>
          onProgress?.({ done: done + n, total: files.length }),
        );
        this.options.stats.cacheShardsBuilt++;
      }
      index.entries.forEach((entry, i) => {
        this.entries[first + i] = entry;
        if (entry.skipped) this.options.stats.skip(entry.skipped);
      });
      done += paths.length;
      onProgress?.({ done, total: files.length });
    }
    await this.removeShardsFrom(shards);
  }

  private shardPath(shard: number, ext: 'bin' | 'json'): string {
    return join(this.folder, `shard-${String(shard).padStart(6, '0')}.${ext}`);
  }

  /** The shard's index when it can be trusted for `paths`, else undefined. */
  private async validate(shard: number, paths: readonly string[]): Promise<ShardIndex | undefined> {
    let index: ShardIndex;
    try {
      index = JSON.parse(await readFile(this.shardPath(shard, 'json'), 'utf8')) as ShardIndex;
    } catch {
      return undefined;
    }
    if (
      index?.format !== 'vqkit-data-shard' ||
      index.version !== FORMAT_VERSION ||
      index.key !== this.keyHash ||
      !Array.isArray(index.entries) ||
      index.entries.length !== paths.length
    ) {
      return undefined;
    }
    if (index.entries.some((e, i) => e?.path !== paths[i])) return undefined;
    // The token is a hash of the entries, so an edited or mixed-up index is caught too.
    if (sha1(JSON.stringify(index.entries)).slice(0, TOKEN_CHARS) !== index.token) return undefined;
    const current = await Promise.all(
      paths.map((path) =>
        stat(path).then(
          (st) => ({ size: st.size, mtimeMs: st.mtimeMs }),
          () => ({ size: -1, mtimeMs: -1 }),
        ),
      ),
    );
    let expectedBytes = HEADER_BYTES;
    for (let i = 0; i < paths.length; i++) {
      const e = index.entries[i]!;
      const now = current[i]!;
      if (now.size !== e.size || now.mtimeMs !== e.mtimeMs) return undefined;
      if (!e.skipped) {
        const ok =
          Number.isInteger(e.width) &&
          Number.isInteger(e.height) &&
          e.offset === expectedBytes &&
          Number.isInteger(e.crc);
        if (!ok) return undefined;
        expectedBytes += e.width! * e.height! * 3;
      }
    }
    if (index.binBytes !== expectedBytes) return undefined;
    try {
      const handle = await open(this.shardPath(shard, 'bin'), 'r');
      try {
        const st = await handle.stat();
        if (st.size !== expectedBytes) return undefined;
        const header = Buffer.alloc(HEADER_BYTES);
        await handle.read(header, 0, HEADER_BYTES, 0);
        if (header.toString('latin1') !== MAGIC + index.token) return undefined;
      } finally {
        await handle.close();
      }
    } catch {
      return undefined;
    }
    return index;
  }

  private async build(
    shard: number,
    paths: readonly string[],
    progress: (done: number) => void,
  ): Promise<ShardIndex> {
    const { compute, limit } = this.options;
    let done = 0;
    const results = await Promise.all(
      paths.map((path) =>
        limit(async () => {
          // stat before decoding: a file changed during decoding then mismatches next time.
          const st = await stat(path).then(
            (s) => ({ size: s.size, mtimeMs: s.mtimeMs }),
            () => ({ size: -1, mtimeMs: -1 }),
          );
          let out: { image?: RgbImage; skipped?: SkippedImage };
          try {
            out = { image: await compute(path) };
          } catch (err) {
            if (!(err instanceof DataError) || !err.skipped) throw err;
            out = { skipped: err.skipped };
          }
          progress(++done);
          return { ...st, ...out };
        }),
      ),
    );
    const entries: ShardEntry[] = [];
    const chunks: Uint8Array[] = [];
    let offset = HEADER_BYTES;
    results.forEach((r, i) => {
      const entry: ShardEntry = { path: paths[i]!, size: r.size, mtimeMs: r.mtimeMs };
      if (r.image) {
        entry.width = r.image.width;
        entry.height = r.image.height;
        entry.offset = offset;
        entry.crc = crc32(r.image.data);
        offset += r.image.data.length;
        chunks.push(r.image.data);
      } else {
        entry.skipped = r.skipped!;
      }
      entries.push(entry);
    });
    const token = sha1(JSON.stringify(entries)).slice(0, TOKEN_CHARS);
    const bin = Buffer.alloc(offset);
    bin.write(MAGIC + token, 0, 'latin1');
    let at = HEADER_BYTES;
    for (const chunk of chunks) {
      bin.set(chunk, at);
      at += chunk.length;
    }
    const index: ShardIndex = {
      format: 'vqkit-data-shard',
      version: FORMAT_VERSION,
      key: this.keyHash,
      token,
      binBytes: offset,
      entries,
    };
    // The .bin first, then the index that vouches for it: a crash in between leaves an index
    // whose token no longer matches, so the shard is rebuilt rather than trusted.
    await writeAtomic(this.shardPath(shard, 'bin'), bin);
    await writeAtomic(this.shardPath(shard, 'json'), JSON.stringify(index));
    return index;
  }

  /** Deletes shards numbered `from` and above (left over from a larger file list). */
  private async removeShardsFrom(from: number): Promise<void> {
    const names = await readdir(this.folder);
    for (const name of names) {
      const m = /^shard-(\d{6})\.(bin|json)$/.exec(name);
      if (m && Number(m[1]) >= from) await unlink(join(this.folder, name)).catch(() => undefined);
    }
  }

  /**
   * The cached base image of file `index` (after {@link prepare}), or its skip record. Returns
   * undefined when the stored bytes fail their checksum; the shard's index is then deleted so
   * the next run rebuilds it, and the caller decodes the source instead.
   */
  async read(index: number): Promise<CacheRead | undefined> {
    const entry = this.entries[index];
    if (!entry) {
      throw new DataError(
        `createLoader: cache read of file #${index} before the cache was prepared. Await loader.prepare() (epoch() does this) first.`,
      );
    }
    if (entry.skipped) return { skipped: entry.skipped };
    const bytes = entry.width! * entry.height! * 3;
    const shard = Math.floor(index / this.options.shardSize);
    const data = new Uint8Array(bytes);
    let ok = false;
    try {
      const handle = await open(this.shardPath(shard, 'bin'), 'r');
      try {
        const { bytesRead } = await handle.read(data, 0, bytes, entry.offset!);
        ok = bytesRead === bytes && crc32(data) === entry.crc;
      } finally {
        await handle.close();
      }
    } catch {
      ok = false;
    }
    if (!ok) {
      this.options.stats.cacheCorrupt++;
      await unlink(this.shardPath(shard, 'json')).catch(() => undefined);
      return undefined;
    }
    this.options.stats.cacheHits++;
    return { image: { data, width: entry.width!, height: entry.height! } };
  }
}

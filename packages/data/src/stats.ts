import type { SkippedImage } from './errors';

/**
 * Counters of one loader, cumulative over its lifetime (`loader.stats()` returns a copy). The
 * app writes them, `skipped` included, to its run log.
 */
export interface LoaderStats {
  /** Images delivered in batches (substitutes and repeated epochs included). */
  imagesSeen: number;
  /** Batches delivered. */
  batchesSeen: number;
  /** Image files sent to the decoder, failed attempts and first-time cache builds included. */
  decoded: number;
  /** Total time spent decoding image files, in milliseconds, summed over concurrent decodes. */
  decodeMs: number;
  /** Base images read back from cache shards instead of decoded. */
  cacheHits: number;
  /** Cache shards written (first use, or rebuilt because a source file changed or the shard was damaged). */
  cacheShardsBuilt: number;
  /** Cache shards found valid and reused. */
  cacheShardsReused: number;
  /** Cached images whose checksum failed on read; they were decoded again and their shard is rebuilt on the next run. */
  cacheCorrupt: number;
  /** Every file left out, once per path, sorted by path. */
  skipped: SkippedImage[];
}

/** Mutable counters shared by a loader and its cache. */
export class StatsCollector {
  imagesSeen = 0;
  batchesSeen = 0;
  decoded = 0;
  decodeMs = 0;
  cacheHits = 0;
  cacheShardsBuilt = 0;
  cacheShardsReused = 0;
  cacheCorrupt = 0;
  private readonly skippedByPath = new Map<string, SkippedImage>();

  skip(entry: SkippedImage): void {
    if (!this.skippedByPath.has(entry.path)) this.skippedByPath.set(entry.path, { ...entry });
  }

  snapshot(): LoaderStats {
    const skipped = [...this.skippedByPath.values()].sort((a, b) =>
      a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
    );
    return {
      imagesSeen: this.imagesSeen,
      batchesSeen: this.batchesSeen,
      decoded: this.decoded,
      decodeMs: this.decodeMs,
      cacheHits: this.cacheHits,
      cacheShardsBuilt: this.cacheShardsBuilt,
      cacheShardsReused: this.cacheShardsReused,
      cacheCorrupt: this.cacheCorrupt,
      skipped,
    };
  }
}

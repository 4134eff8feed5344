/** Entries a {@link ModuleCache} holds before it starts afresh (vqkit choice: a training step has tens of geometries). */
const MODULE_CACHE_SIZE = 256;

/**
 * A memo of built kernel modules by key, bounded: when full it is cleared rather than evicting one
 * entry at a time (geometries change in bursts — a new model — and rebuilding is cheap).
 */
export class ModuleCache<T> {
  private readonly entries = new Map<string, T>();

  /** The value stored under `key`, built by `build` on first use. */
  get(key: string, build: () => T): T {
    let value = this.entries.get(key);
    if (value === undefined) {
      if (this.entries.size >= MODULE_CACHE_SIZE) this.entries.clear();
      value = build();
      this.entries.set(key, value);
    }
    return value;
  }
}

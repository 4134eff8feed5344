import { dirname, sep } from 'node:path';

/**
 * The longest common folder of `files` (at least one path): names a dataset in messages and
 * keeps two datasets' cache shards apart.
 */
export function commonFolder(files: readonly string[]): string {
  let prefix = dirname(files[0]!).split(sep);
  for (const f of files) {
    const parts = dirname(f).split(sep);
    let i = 0;
    while (i < prefix.length && i < parts.length && prefix[i] === parts[i]) i++;
    prefix = prefix.slice(0, i);
  }
  return prefix.join(sep) || sep;
}

import { readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { DataError } from './errors';

/** Image file extensions read by default (matched case-insensitively). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp'];

/** Options of {@link scanImageFolder}. */
export interface ScanOptions {
  /**
   * File extensions to include, with the dot, matched case-insensitively.
   * @default ['.jpg', '.jpeg', '.png', '.webp']
   */
  extensions?: readonly string[];
  /**
   * Include files and folders whose name starts with a dot (e.g. macOS `._photo.jpg` resource
   * forks, which are not images).
   * @default false
   */
  includeHidden?: boolean;
}

/**
 * Lists the image files of an ImageNet-style folder: class subfolders or a flat folder, searched
 * recursively (symbolic links followed, cycles ignored). Files are selected by extension and
 * returned as absolute paths in a deterministic order: sorted by path relative to `root`,
 * comparing UTF-16 code units, so the same tree always gives the same list on every machine.
 *
 * @throws {DataError} when `root` is missing, not a folder, or holds no matching file.
 */
export async function scanImageFolder(root: string, options: ScanOptions = {}): Promise<string[]> {
  if (typeof root !== 'string' || root.length === 0) {
    throw new DataError(
      `scanImageFolder: root must be a folder path, got ${JSON.stringify(root)}. Pass the folder that holds the images (or their class subfolders).`,
    );
  }
  const extensions = (options.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase());
  if (extensions.length === 0 || extensions.some((e) => !e.startsWith('.') || e.length < 2)) {
    throw new DataError(
      `scanImageFolder: extensions must be a non-empty list like ['.jpg', '.png'], got ${JSON.stringify(options.extensions)}.`,
    );
  }
  const includeHidden = options.includeHidden ?? false;
  const absRoot = resolve(root);
  let rootStat: Awaited<ReturnType<typeof stat>>;
  try {
    rootStat = await stat(absRoot);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new DataError(
      `scanImageFolder: cannot open image folder "${absRoot}" (${code}). Expected an existing folder of ${extensions.join('/')} files (flat or in class subfolders); check the path.`,
    );
  }
  if (!rootStat.isDirectory()) {
    throw new DataError(
      `scanImageFolder: "${absRoot}" is a file, expected a folder of ${extensions.join('/')} files (flat or in class subfolders). Pass its parent folder.`,
    );
  }

  const files: string[] = [];
  let ignored = 0;
  const visited = new Set<string>([await realpath(absRoot)]);
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const dirent of entries) {
      const name = dirent.name;
      if (!includeHidden && name.startsWith('.')) continue;
      const full = join(dir, name);
      let isDir = dirent.isDirectory();
      let isFile = dirent.isFile();
      if (dirent.isSymbolicLink()) {
        try {
          const s = await stat(full);
          isDir = s.isDirectory();
          isFile = s.isFile();
        } catch {
          ignored++; // dangling link
          continue;
        }
      }
      if (isDir) {
        const real = await realpath(full);
        if (visited.has(real)) continue;
        visited.add(real);
        await walk(full);
      } else if (isFile) {
        const dot = name.lastIndexOf('.');
        const ext = dot >= 0 ? name.slice(dot).toLowerCase() : '';
        if (extensions.includes(ext)) files.push(full);
        else ignored++;
      }
    }
  };
  await walk(absRoot);
  if (files.length === 0) {
    throw new DataError(
      `scanImageFolder: no ${extensions.join('/')} files under "${absRoot}" (searched recursively; ${ignored} other file(s) ignored). Put images there, flat or in class subfolders, or pass the right folder.`,
    );
  }
  // Sort by the path relative to root, by code unit (not locale): identical on every machine.
  const rel = (p: string) => p.slice(absRoot.length).split(sep).join('/');
  return files.sort((a, b) => (rel(a) < rel(b) ? -1 : rel(a) > rel(b) ? 1 : 0));
}

import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { KiokuError } from '../util/errors.js';
import { cannotWrite, makeDirs, removeStaleTemps } from './files.js';

/** Options of `writeFileAtomic`. */
export interface AtomicWriteOptions {
  /** fsync the temp file and the directory (default true). Off only for throwaway files. */
  fsync?: boolean;
  /**
   * Called with the temp file's path once it is completely written (and synced), just
   * before it replaces the target. If it throws, the temp file is removed, the target is
   * left as it was, and the error propagates. Tests use it to simulate a crash mid-save.
   */
  beforeRename?: (tempPath: string) => void;
}

let counter = 0;
/** Folders whose stale temp files this process has already swept. */
const swept = new Set<string>();

/**
 * Write `bytes` to `path` so that a reader (or a crash) never sees a half-written file:
 * the bytes go to a temp file in the same directory (`.<name>.<pid>.<n>.tmp`), are
 * fsync'ed, and the temp file is renamed over the target (an atomic replace on POSIX
 * file systems); finally the directory is fsync'ed so the rename itself is durable.
 * Every file kioku saves (weights, checkpoints) goes through here.
 *
 * ```ts
 * writeFileAtomic('runs/model.safetensors', encodeSafetensors(model.stateDict()));
 * ```
 *
 * Missing parent folders are created (`makeDirs`). After a hard kill between write and
 * rename, a stale `.<name>.<pid>.<n>.tmp` may remain next to the target (the target itself
 * is always either the old or the new complete file); the next write into that folder by
 * any kioku process removes it (`removeStaleTemps`). Failures are one `KiokuError`,
 * `cannot write <path>: <plain reason>` (e.g. "it is a folder", "no space left on the
 * device"), and leave no temp file behind.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array, opts: AtomicWriteOptions = {}): void {
  const sync = opts.fsync ?? true;
  if (!(bytes instanceof Uint8Array)) {
    throw new KiokuError(`writeFileAtomic: ${path}: expected bytes as a Uint8Array, got ${typeof bytes}`);
  }
  const dir = dirname(path);
  makeDirs(dir);
  if (!swept.has(dir)) {
    swept.add(dir);
    removeStaleTemps(dir);
  }
  const temp = join(dir, `.${basename(path)}.${process.pid}.${counter++}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', 0o644);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    if (sync) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    opts.beforeRename?.(temp);
    renameSync(temp, path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    try {
      unlinkSync(temp);
    } catch {
      // the temp file may not exist (open failed) or is already renamed
    }
    if (e instanceof KiokuError) throw e;
    if ((e as NodeJS.ErrnoException).code !== undefined) throw cannotWrite(path, e);
    throw e;
  }
  if (sync) syncDirectory(dir);
}

/** fsync a directory so a rename in it survives a power loss (not possible on Windows). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot open or sync directories; the data itself is already synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

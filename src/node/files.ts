/**
 * The file-system floor every kioku reader and writer stands on, so that nothing hangs and
 * nothing blows up memory, and every failure is one plain sentence naming the file:
 *
 * - `readFileBounded` refuses what is not a regular file (a directory, a FIFO that would
 *   block forever, `/dev/zero` that never ends) and anything over a size limit, *before*
 *   reading it;
 * - `makeDirs` creates folders by walking the path one component at a time (Node 20's
 *   `mkdirSync(p, { recursive: true })` spins at 100% CPU under `/proc`);
 * - `osReason` / `cannotWrite` / `cannotRead` are the one place OS error codes become
 *   words: `cannot write runs/x: the file system is read-only`;
 * - `removeStaleTemps` deletes temp files left by a killed kioku process; `pruneFiles`
 *   deletes old files without ever following a symbolic link.
 *
 * ```ts
 * const bytes = readFileBounded('model.safetensors', { what: 'model' });
 * makeDirs('runs/char-lm/checkpoints');
 * ```
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  type Stats,
  unlinkSync,
} from 'node:fs';
import { dirname, join, parse, resolve, sep } from 'node:path';
import { KiokuError } from '../util/errors.js';

/**
 * The default size limit of one input file: 2 GiB (a Node buffer's practical ceiling).
 * Set `KIOKU_MAX_FILE_BYTES` to lower (or raise) it.
 */
export const DEFAULT_MAX_FILE_BYTES = 2 ** 31;

/** The size limit in force (`KIOKU_MAX_FILE_BYTES`, else `DEFAULT_MAX_FILE_BYTES`). */
export function maxFileBytes(): number {
  const env = process.env.KIOKU_MAX_FILE_BYTES;
  if (env === undefined || env === '') return DEFAULT_MAX_FILE_BYTES;
  const n = Number(env);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new KiokuError(
      `KIOKU_MAX_FILE_BYTES must be a positive integer (bytes), got ${JSON.stringify(env)}`,
    );
  }
  return n;
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'something with that name already exists',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links (a loop?)',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'an input/output error from the device',
  EBUSY: 'the file or device is busy',
  ETXTBSY: 'the file is busy',
  EXDEV: 'cannot move across file systems',
  EFBIG: 'the file is too large for the file system',
  ENXIO: 'no such device (a FIFO without a reader?)',
  EINVAL: 'the file system does not allow this name or operation',
  EAGAIN: 'the file is not ready (try again)',
};

/** A plain-words reason for an OS error (`EROFS` → "the file system is read-only"). */
export function osReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined && code in REASONS) return REASONS[code];
  if (code !== undefined) return code;
  return err instanceof Error ? err.message : String(err);
}

/** True when `err` came from the OS (has an errno code), not from kioku's own checks. */
export function isOsError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}

/** `KiokuError("cannot write <path>: <reason>")` — the one message for a failed write. */
export function cannotWrite(path: string, err: unknown): KiokuError {
  return new KiokuError(`cannot write ${path}: ${osReason(err)}`);
}

/** `KiokuError("cannot read <path>: <reason>")` — the one message for a failed read. */
export function cannotRead(path: string, reason: unknown): KiokuError {
  return new KiokuError(`cannot read ${path}: ${typeof reason === 'string' ? reason : osReason(reason)}`);
}

/** Why `st` cannot be read as a data file, or undefined when it is a regular file. */
function notRegular(st: Stats): string | undefined {
  if (st.isFile()) return undefined;
  if (st.isDirectory()) return 'it is a folder, expected a file';
  if (st.isFIFO()) return 'it is a FIFO (named pipe), expected a regular file';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'it is a device, expected a regular file';
  if (st.isSocket()) return 'it is a socket, expected a regular file';
  return 'it is not a regular file';
}

export interface BoundedReadOptions {
  /** Refuse files larger than this many bytes (default `maxFileBytes()`). */
  maxBytes?: number;
  /** What the file is for, in messages: "`<what>` <path> is 3 GB, over the limit ...". */
  what?: string;
}

/**
 * Read a whole regular file, refusing — before reading a byte — a missing file, a folder,
 * a FIFO, a device or socket, and a file over `maxBytes`. The file is opened non-blocking,
 * so a FIFO swapped in after the check cannot hang the read either; a file that grows
 * while read is cut off at the limit and refused. Errors are `cannot read <path>: <why>`.
 */
export function readFileBounded(path: string, opts: BoundedReadOptions = {}): Buffer {
  const max = opts.maxBytes ?? maxFileBytes();
  const label = opts.what ? `${opts.what} ${path}` : path;
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw cannotRead(label, e);
  }
  const bad = notRegular(st);
  if (bad) throw cannotRead(label, bad);
  if (st.size > max) throw cannotRead(label, tooLarge(st.size, max));
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw cannotRead(label, e);
  }
  try {
    const again = fstatSync(fd);
    const badNow = notRegular(again);
    if (badNow) throw cannotRead(label, badNow);
    // Read up to one byte past the limit, to notice a file that grew meanwhile.
    const cap = Math.min(max, again.size) + 1;
    let buf = Buffer.allocUnsafe(Math.min(cap, 1 << 20));
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (buf.length >= cap) break;
        const bigger = Buffer.allocUnsafe(Math.min(cap, buf.length * 2));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    if (n > max) throw cannotRead(label, tooLarge(n, max));
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof KiokuError) throw e;
    throw cannotRead(label, e);
  } finally {
    closeSync(fd);
  }
}

function tooLarge(size: number, max: number): string {
  return `it is ${size} bytes, over the limit of ${max} bytes (set KIOKU_MAX_FILE_BYTES to change it)`;
}

/**
 * Read a UTF-8 text file through `readFileBounded`, refusing bytes that are not UTF-8.
 * A leading byte-order mark is dropped (for every kind of text kioku reads).
 */
export function readTextBounded(path: string, opts: BoundedReadOptions = {}): string {
  const bytes = readFileBounded(path, opts);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw cannotRead(opts.what ? `${opts.what} ${path}` : path, 'it is not valid UTF-8 text');
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Create the folder `dir` and its missing parents, one component at a time (so it cannot
 * loop the way Node 20's recursive `mkdirSync` does under `/proc`). Errors are
 * `cannot write <dir>: <why>`, e.g. "a part of the path is a file, not a folder".
 */
export function makeDirs(dir: string): void {
  const full = resolve(dir);
  const root = parse(full).root;
  const parts = full
    .slice(root.length)
    .split(sep)
    .filter((p) => p !== '');
  let cur = root;
  for (const part of parts) {
    cur = join(cur, part);
    let st: Stats | undefined;
    try {
      st = statSync(cur);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw cannotWrite(dir, e);
    }
    if (st) {
      if (!st.isDirectory()) throw cannotWrite(dir, `${cur} is a file, not a folder`);
      continue;
    }
    try {
      mkdirSync(cur);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(cur).isDirectory()) continue; // created meanwhile
      // The parent exists (we just walked it), so ENOENT means this file system (e.g.
      // /proc, /sys) does not allow new folders.
      if (code === 'ENOENT') throw cannotWrite(dir, `cannot create folders in ${dirname(cur)}`);
      throw cannotWrite(dir, e);
    }
  }
}

/** The name `writeFileAtomic` gives its temp files: `.<name>.<pid>.<n>.tmp`. */
export const TEMP_NAME = /^\..+\.(\d+)\.\d+\.tmp$/;

/**
 * Delete the temp files (`.<name>.<pid>.<n>.tmp`) in `dir` that were left behind by a
 * kioku process that is no longer running (killed between write and rename). Temp files
 * of live processes are kept. Returns the names removed; never throws.
 */
export function removeStaleTemps(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    const p = join(dir, name);
    try {
      if (!lstatSync(p).isFile()) continue;
      unlinkSync(p);
      removed.push(name);
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Delete the oldest files of `dir` whose names match `pattern`, keeping the last `keep`
 * in sorted order. Never follows a symbolic link: when `dir` itself is a symlink nothing
 * is deleted (the folder it points to belongs to someone else), and matching entries that
 * are symlinks or folders are left alone. Returns the names deleted.
 *
 * ```ts
 * pruneFiles('runs/x/checkpoints', /^step-\d+-val-.*\.safetensors$/, 3);
 * ```
 */
export function pruneFiles(dir: string, pattern: RegExp, keep: number): string[] {
  const candidates = ownFiles(dir, pattern);
  const doomed = candidates.slice(0, Math.max(0, candidates.length - keep));
  for (const name of doomed) removeOwnFile(dir, name);
  return doomed;
}

/**
 * The sorted names of the regular files in `dir` that match `pattern` — none when `dir`
 * is a symbolic link or missing, and never a symlinked entry: the files kioku may delete.
 */
export function ownFiles(dir: string, pattern: RegExp): string[] {
  let st: Stats;
  try {
    st = lstatSync(dir);
  } catch {
    return [];
  }
  if (!st.isDirectory()) return []; // a symlink (or anything else): its target is not ours
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && pattern.test(e.name))
    .map((e) => e.name)
    .sort();
}

/**
 * Delete `dir/name` if `dir` is a real folder (not a symlink to one) and `name` a regular
 * file in it; anything else is left alone, and a file already gone is fine.
 */
export function removeOwnFile(dir: string, name: string): void {
  const path = join(dir, name);
  try {
    if (!lstatSync(dir).isDirectory() || !lstatSync(path).isFile()) return;
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw cannotWrite(path, e);
  }
}

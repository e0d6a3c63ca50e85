/**
 * A training run's directory on disk, and the guarantees every training command keeps.
 *
 * Layout (one for every training command: `train char`, `handwriting train`,
 * `sentiment train`, `forecast train`, `seq2seq train`, `word2vec train`):
 *
 *     <out>/model.safetensors        latest checkpoint: weights, optimizer, step, task state, settings
 *     <out>/checkpoints/step-0000500-val-1.2345.safetensors   named checkpoints, oldest pruned first
 *     <out>/train-log.json           settings, result, history, and every resume with what it changed
 *     <out>/.kioku-lock              while a run is going: {pid, started, command}
 *
 * Flags (names and semantics; the CLI option layer adopts them as they are):
 * - `--out <dir>`: the run directory; created with its parents.
 * - `--resume`: continue the run in `--out` exactly (weights, optimizer, data position, RNGs).
 *   Settings that change the numbers (lr, seq, dropout, clip mode, seed, validation fraction,
 *   the data file by size and SHA-256, model shape, …) must be the same as when the run
 *   started; each difference is named and refused. The budget (`--steps`, `--time`,
 *   `--epochs`) and reporting settings may change. A run that already reached its budget
 *   is reported as finished and nothing is written.
 * - `--allow-change <names>`: comma-separated settings that may differ on `--resume` (the
 *   run continues from the checkpoint with the new values; no longer bit-identical to an
 *   uninterrupted run). Only schedule settings qualify (lr, decay, decayEvery, lrFinal,
 *   lrDecay, clip); every change is recorded in train-log.json under `resumes`.
 * - `--overwrite`: start over in a directory that holds a run: removes its kioku files
 *   (model.safetensors, checkpoints/, train-log.json, figures) first. Without `--resume` or
 *   `--overwrite` a non-empty `--out` is refused.
 * - A lock file refuses a second run on the same directory while the first is alive; the
 *   lock of a process that no longer exists is taken over.
 * - Ctrl-C (SIGINT) or SIGTERM: the run stops after the current step, saves a checkpoint,
 *   prints the exact command that resumes it, and exits with code 130. A second Ctrl-C
 *   exits at once.
 *
 * ```ts
 * const run = await runTraining({ out: 'runs/lm', resume: false, settings, build: () => ({ task, options }) });
 * ```
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from './checkpoint-file.js';
import { writeFileAtomic } from './atomic.js';
import { makeDirs, ownFiles, readFileBounded, readTextBounded, removeOwnFile } from './files.js';
import { parseJson } from '../util/json.js';
import type { RunStore } from '../train/run-store.js';
import {
  type TrainerOptions,
  type TrainEvent,
  Trainer,
  type TrainResult,
  type TrainTask,
} from '../train/trainer.js';
import { KiokuError } from '../util/errors.js';

/** Named checkpoint files: fixed-width step numbers so that names sort by step. */
const CHECKPOINT_FILE = /^step-\d+-val-.*\.safetensors$/;
const LOCK_FILE = '.kioku-lock';
/** Files a run writes; `--overwrite` removes these and nothing else. */
const RUN_FILES =
  /^(model\.safetensors|checkpoints|train-log\.json|loss\.(svg|png)|curve\.(svg|png)|handwriting\.safetensors|\..*\.tmp)$/;

/** The `RunStore` of a run directory (see the layout above). */
export class RunDir implements RunStore {
  /** The latest checkpoint, rewritten at every save: what `--resume` continues from. */
  readonly latest: string;
  readonly checkpointDir: string;

  constructor(readonly location: string) {
    this.latest = join(location, 'model.safetensors');
    this.checkpointDir = join(location, 'checkpoints');
  }

  saveCheckpoint(name: string, ckpt: Checkpoint): string {
    const named = join(this.checkpointDir, name);
    saveCheckpoint([named, this.latest], ckpt); // encoded once, written twice
    return named;
  }

  /** Named checkpoints that pruning may delete: regular files only, none in a symlinked folder. */
  listCheckpoints(): string[] {
    return ownFiles(this.checkpointDir, CHECKPOINT_FILE);
  }

  /**
   * Rewrite the latest checkpoint (e.g. with results computed after training, such as a
   * test report, in its `extra`) so the run directory's model file carries them.
   */
  saveLatest(ckpt: Checkpoint): void {
    saveCheckpoint(this.latest, ckpt);
  }

  removeCheckpoint(name: string): void {
    removeOwnFile(this.checkpointDir, name);
  }
}

/** Whether process `pid` exists (signal 0 checks without signalling). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the run directory's lock, or say who holds it. Returns the release function. */
function lock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  const body = JSON.stringify({
    pid: process.pid,
    started: new Date().toISOString(),
    command: commandLine(),
  });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, body);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new KiokuError(`cannot lock ${dir}: ${(e as Error).message}`);
    }
    let held: { pid?: unknown; started?: unknown; command?: unknown } = {};
    try {
      held = parseJson(readTextBounded(path, { maxBytes: 1 << 16 }), path) as typeof held;
    } catch {
      // unreadable or half-written: treat as stale
    }
    const pid = typeof held.pid === 'number' ? held.pid : -1;
    if (pid > 0 && pid !== process.pid && alive(pid)) {
      throw new KiokuError(
        `${dir} is in use by another kioku run (pid ${pid}, started ${String(held.started)}: ${String(held.command)}); ` +
          `wait for it to finish or stop it, or choose another --out`,
      );
    }
    rmSync(path, { force: true }); // stale: its process is gone
  }
  throw new KiokuError(`cannot lock ${dir}: another process keeps recreating ${LOCK_FILE}`);
}

let commandArgs: readonly string[] | null = null;

/** The CLI's arguments (what `main(argv)` got), for the resume command; else process.argv. */
export function setCommandArgs(args: readonly string[]): void {
  commandArgs = [...args];
}

function currentArgs(): string[] {
  return commandArgs ? [...commandArgs] : process.argv.slice(2);
}

/** The command line that started this process, as a user would type it (`kioku …`). */
function commandLine(args = currentArgs()): string {
  const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['kioku', ...args.map(quote)].join(' ');
}

/** The exact command that resumes this run: the same arguments, `--overwrite` dropped, `--resume` added. */
export function resumeCommand(args = currentArgs()): string {
  const kept = args.filter((a) => a !== '--overwrite');
  if (!kept.includes('--resume')) kept.push('--resume');
  return commandLine(kept);
}

/** Size and SHA-256 of a data file: part of a run's settings, so `--resume` notices different data. */
export function fileFingerprint(path: string): { file: string; bytes: number; sha256: string } {
  const bytes = readFileBounded(path, { what: 'data file' });
  return { file: path, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * Size and SHA-256 of a folder of data files (e.g. IAM-OnDB's lineStrokes XML files): every
 * file's path relative to `dir` and its bytes, in the given order, go into one hash.
 */
export function folderFingerprint(
  dir: string,
  files: readonly string[],
): { folder: string; files: number; bytes: number; sha256: string } {
  const h = createHash('sha256');
  let total = 0;
  for (const f of files) {
    const bytes = readFileBounded(f, { what: 'data file' });
    h.update(relative(dir, f)).update('\0').update(bytes);
    total += bytes.length;
  }
  return { folder: dir, files: files.length, bytes: total, sha256: h.digest('hex') };
}

export interface RunDirOptions {
  resume?: boolean;
  overwrite?: boolean;
}

/** What `--resume`, `--overwrite` and `--allow-change` ask for (every training function takes them). */
export interface RunFlags extends RunDirOptions {
  /** Settings names from `CHANGEABLE_ON_RESUME` that may differ on `--resume`. */
  allowChange?: readonly string[];
}

/**
 * Prepare `--out` for a run: create it (with parents), refuse a directory that already holds
 * something unless `resume` or `overwrite`, clear a previous run's files with `overwrite`,
 * and take the lock. Returns the store and the lock's release function.
 */
export function openRunDir(out: string, opts: RunDirOptions = {}): { dir: RunDir; release: () => void } {
  if (opts.resume && opts.overwrite) throw new KiokuError('give --resume or --overwrite, not both');
  if (existsSync(out) && !statSync(out).isDirectory())
    throw new KiokuError(`--out ${out} is a file; --out names a run directory`);
  makeDirs(out);
  const release = lock(out);
  try {
    const present = readdirSync(out).filter((f) => f !== LOCK_FILE);
    if (opts.resume) {
      if (!existsSync(join(out, 'model.safetensors')))
        throw new KiokuError(`--resume: ${out} holds no run to resume (no model.safetensors)`);
    } else if (present.length) {
      const foreign = present.filter((f) => !RUN_FILES.test(f));
      if (!opts.overwrite)
        throw new KiokuError(
          `${out} is not empty (${present.slice(0, 5).join(', ')}${present.length > 5 ? ', …' : ''}); ` +
            'give --resume to continue the run in it, --overwrite to start over, or another --out',
        );
      if (foreign.length)
        throw new KiokuError(
          `--overwrite: ${out} holds files that are not a kioku run's (${foreign.slice(0, 5).join(', ')}); choose another --out`,
        );
      for (const f of present) rmSync(join(out, f), { recursive: true, force: true });
    }
  } catch (e) {
    release();
    throw e;
  }
  return { dir: new RunDir(out), release };
}

/**
 * Install the Ctrl-C / SIGTERM handlers of a run: the first signal asks the Trainer to stop
 * (it checkpoints), a second one exits at once. Returns `{ stopRequested, dispose }`.
 */
function interruptHandler(): { stopRequested: () => string | null; dispose: () => void } {
  let got: string | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (got) process.exit(130);
    got = sig;
    console.error(
      `\nkioku: ${sig}: stopping after this step and saving a checkpoint (again to quit at once)`,
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stopRequested: () => got,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Settings that may change on `--resume` without breaking exactness (budget and reporting). */
const FREE_ON_RESUME = new Set([
  'steps',
  'time',
  'epochs',
  'out',
  'quiet',
  'validateEvery',
  'checkpointEvery',
  'evalEvery',
  'curve',
  'json',
  'config',
  'resume',
  'overwrite',
  'allowChange',
  'log',
]);
/** Settings `--allow-change` may name: the LR schedule and clipping threshold. */
export const CHANGEABLE_ON_RESUME: readonly string[] = [
  'lr',
  'decay',
  'decayEvery',
  'lrFinal',
  'lrDecay',
  'clip',
];

/** One setting that differs between the checkpoint and this run. */
export interface SettingChange {
  name: string;
  was: unknown;
  now: unknown;
}

/**
 * Compare a run's saved settings with this run's: settings outside the budget/reporting set
 * must be equal unless named in `allow` (from `CHANGEABLE_ON_RESUME`). Refuses with every
 * difference named; returns the allowed and free changes (to record in the log).
 */
export function checkResumeSettings(
  where: string,
  saved: Record<string, unknown>,
  now: Record<string, unknown>,
  allow: readonly string[] = [],
): SettingChange[] {
  for (const a of allow)
    if (!CHANGEABLE_ON_RESUME.includes(a))
      throw new KiokuError(
        `--allow-change: ${JSON.stringify(a)} cannot change on resume; only ${CHANGEABLE_ON_RESUME.join(', ')} can`,
      );
  const changes: SettingChange[] = [];
  const refused: string[] = [];
  for (const name of [...new Set([...Object.keys(saved), ...Object.keys(now)])].sort()) {
    const was = saved[name];
    const is = now[name];
    if (JSON.stringify(was) === JSON.stringify(is)) continue;
    changes.push({ name, was, now: is });
    if (!FREE_ON_RESUME.has(name) && !allow.includes(name))
      refused.push(`${name} was ${JSON.stringify(was)}, now ${JSON.stringify(is)}`);
  }
  if (refused.length)
    throw new KiokuError(
      `--resume: ${where} was trained with other settings, and resuming would not continue it exactly: ${refused.join('; ')}. ` +
        `Use the original values${refused.some((r) => CHANGEABLE_ON_RESUME.includes(r.split(' ')[0])) ? `, or --allow-change ${CHANGEABLE_ON_RESUME.filter((c) => refused.some((r) => r.startsWith(`${c} `))).join(',')} to change the schedule on purpose` : ''}, or start a new run with another --out (or --overwrite).`,
    );
  return changes;
}

/** A resume recorded in train-log.json. */
export interface ResumeRecord {
  atStep: number;
  changed: SettingChange[];
}

export interface RunSpec extends RunFlags {
  /** The run directory (`--out`); without one the run trains in memory (no checkpoints, no guarantees to keep). */
  out?: string;
  /**
   * Every setting of the run, flat (CLI names in camelCase; data files as `fileFingerprint`s).
   * Saved in each checkpoint and compared on `--resume`.
   */
  settings: Record<string, unknown>;
  /** Build the task and the Trainer options; `ckpt` is the checkpoint being resumed (vocabularies, …). */
  build: (ckpt: Checkpoint | null) => {
    task: TrainTask;
    options: Omit<TrainerOptions, 'store'>;
    /** What each checkpoint stores besides the Trainer's state (config for loaders, vocabulary, …). */
    meta: () => { config: unknown; extra?: Record<string, unknown> };
  };
  onEvent?: (e: TrainEvent) => void;
  /** Progress messages (resume notes). */
  log?: (message: string) => void;
}

export interface FinishedRun {
  finished: true;
  /** What to tell the user ("already finished … nothing to do"). */
  message: string;
  step: number;
  checkpoint: string;
}

export interface CompletedRun {
  finished: false;
  trainer: Trainer;
  task: TrainTask;
  result: TrainResult;
  /** Null for a run without `out`. */
  dir: RunDir | null;
  resumes: ResumeRecord[];
}

/** Thrown after a Ctrl-C/SIGTERM stop was checkpointed: the message says how to resume. */
export class TrainingInterrupted extends KiokuError {
  readonly exitCode = 130;
  constructor(
    message: string,
    readonly step: number,
    readonly checkpoint: string | null,
  ) {
    super(message);
    this.name = 'TrainingInterrupted';
  }
}

/**
 * Run one training command with every guarantee above: open (and lock) the run directory,
 * check a resume's settings, say so and change nothing when the run already finished, train
 * with Ctrl-C checkpointing, and write train-log.json. The wing builds its task; the Trainer
 * does the rest.
 */
export async function runTraining(spec: RunSpec): Promise<FinishedRun | CompletedRun> {
  if (spec.out === undefined) return trainInMemory(spec);
  const out = spec.out;
  const log = spec.log ?? (() => {});
  const { dir, release } = openRunDir(out, spec);
  const signals = interruptHandler();
  try {
    let ckpt: Checkpoint | null = null;
    const resumes: ResumeRecord[] = [];
    let changed: SettingChange[] = [];
    if (spec.resume) {
      ckpt = loadCheckpoint(dir.latest);
      const extra = (ckpt.extra ?? {}) as { settings?: Record<string, unknown>; resumes?: ResumeRecord[] };
      if (!extra.settings)
        throw new KiokuError(
          `--resume: ${dir.latest} holds no run settings (not written by a kioku training run)`,
        );
      changed = checkResumeSettings(dir.latest, extra.settings, spec.settings, spec.allowChange);
      resumes.push(...(extra.resumes ?? []));
    }
    const { task, options, meta } = spec.build(ckpt);
    const trainer = new Trainer(
      task,
      { ...options, store: dir },
      {
        onEvent: spec.onEvent,
        shouldStop: () => signals.stopRequested() !== null,
        checkpointMeta: () => {
          const m = meta();
          return { config: m.config, extra: { ...(m.extra ?? {}), settings: spec.settings, resumes } };
        },
      },
    );
    if (ckpt) {
      const total = trainer.totalSteps;
      if (total !== null && ckpt.step >= total) {
        const message =
          `${out}: this run already finished (step ${ckpt.step} of ${total}); nothing to do. ` +
          'Give a larger --steps (or --epochs) with --resume to train it further.';
        return { finished: true, step: ckpt.step, checkpoint: dir.latest, message };
      }
      resumes.push({ atStep: ckpt.step, changed });
      for (const c of changed)
        log(`resume: ${c.name} changed from ${JSON.stringify(c.was)} to ${JSON.stringify(c.now)}`);
      log(`resuming ${out} at step ${ckpt.step}`);
      trainer.resume(ckpt);
    }
    const result = await trainer.runAsync();
    writeTrainLog(dir, spec.settings, result, resumes);
    if (result.stoppedBy === 'interrupt') {
      throw new TrainingInterrupted(
        `interrupted (${signals.stopRequested()}) at step ${result.steps}; checkpoint saved in ${dir.latest}. Resume with:\n  ${resumeCommand()}`,
        result.steps,
        result.checkpoint,
      );
    }
    return { finished: false, trainer, task, result, dir, resumes };
  } finally {
    signals.dispose();
    release();
  }
}

/** A run without `out` (library calls, tests): the same Trainer, no directory, no checkpoints. */
async function trainInMemory(spec: RunSpec): Promise<CompletedRun> {
  if (spec.resume) throw new KiokuError('--resume needs --out (the run directory to continue)');
  const { task, options } = spec.build(null);
  const trainer = new Trainer(task, options, { onEvent: spec.onEvent });
  const result = await trainer.runAsync();
  return { finished: false, trainer, task, result, dir: null, resumes: [] };
}

/** Write `train-log.json`: settings, result (no NaN: absent values are left out), history, resumes. */
function writeTrainLog(
  dir: RunDir,
  settings: Record<string, unknown>,
  result: TrainResult,
  resumes: ResumeRecord[],
): void {
  const { history, ...summary } = result;
  const finite = (k: string, v: unknown): unknown =>
    typeof v === 'number' && !Number.isFinite(v) ? undefined : v;
  writeFileAtomic(
    join(dir.location, 'train-log.json'),
    new TextEncoder().encode(
      JSON.stringify({ config: settings, result: summary, resumes, history }, finite, 1),
    ),
  );
}

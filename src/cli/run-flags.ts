/**
 * The run-directory options every training command takes (semantics in `src/node/run-dir.ts`):
 * `--resume`, `--overwrite`, `--allow-change <names>`, as option-schema entries.
 */
import { writeFileAtomic } from '../node/atomic.js';
import { CHANGEABLE_ON_RESUME, type FinishedRun, type RunFlags } from '../node/run-dir.js';
import { choice, flag, float, list, str, type Values } from './schema.js';

export const runOptions = {
  resume: flag('continue the run in --out exactly where it stopped (same settings)'),
  overwrite: flag('start over in an --out that already holds a run (its kioku files are removed)'),
  allowChange: list(
    "with --resume: let these settings differ from the run's; recorded in train-log.json",
    choice('setting', CHANGEABLE_ON_RESUME),
    { arg: 'names' },
  ),
};

/** The run flags from a command's values. */
export function runFlags(o: Values<typeof runOptions>): RunFlags {
  return { resume: o.resume, overwrite: o.overwrite, allowChange: o.allowChange ?? [] };
}

/** Whether a training command's result is a run that had already finished (nothing done). */
export function isFinished(r: object): r is FinishedRun {
  return 'finished' in r && r.finished === true;
}

/** `--report FILE`: the training result as JSON in a file too (`--json` prints it). */
export const reportOption = {
  report: str('also write the result as JSON to this file', { arg: 'file' }),
};

/** Write `result` to `file` as JSON (atomically), when a file is given. */
export function writeReport(file: string | undefined, result: unknown): void {
  if (file) writeFileAtomic(file, new TextEncoder().encode(JSON.stringify(result, null, 2) + '\n'));
}

/** `--average-last p`: weight averaging over the last fraction p of the steps (the Trainer's `averageFrom`). */
export const averageOption = {
  averageLast: float('average the weights over the last fraction p of the steps (SWA; 0: off)', {
    arg: 'p',
    min: 0,
    max: 1,
    default: 0,
  }),
};

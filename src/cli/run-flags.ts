/**
 * The run-directory options every training command takes (semantics in `src/node/run-dir.ts`):
 * `--resume`, `--overwrite`, `--allow-change <names>`, as option-schema entries.
 */
import { CHANGEABLE_ON_RESUME, type FinishedRun, type RunFlags } from '../node/run-dir.js';
import { choice, flag, list, type Values } from './schema.js';

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

/**
 * The run-directory flags every training command takes (semantics in `src/node/run-dir.ts`):
 * `--resume`, `--overwrite`, `--allow-change <names>`.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { CHANGEABLE_ON_RESUME, type RunFlags } from '../node/run-dir.js';

export type RunFlagValues = RunFlags;

function namesArg(v: string): string[] {
  const names = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !CHANGEABLE_ON_RESUME.includes(n));
  if (bad.length)
    throw new InvalidArgumentError(
      `${bad.join(', ')} cannot change on resume; only ${CHANGEABLE_ON_RESUME.join(', ')} can`,
    );
  return names;
}

/** Add `--resume`, `--overwrite` and `--allow-change` to a training command. */
export function addRunFlags(cmd: Command): Command {
  return cmd
    .option('--resume', 'continue the run in --out exactly where it stopped (same settings)')
    .option('--overwrite', 'start over in an --out that already holds a run (its kioku files are removed)')
    .option(
      '--allow-change <names>',
      `with --resume: let these settings differ from the run's (${CHANGEABLE_ON_RESUME.join(', ')}); recorded in train-log.json`,
      namesArg,
    );
}

/** The run flags from parsed options. */
export function runFlags(o: Record<string, unknown>): RunFlagValues {
  const allow = o.allowChange;
  return {
    resume: o.resume === true,
    overwrite: o.overwrite === true,
    allowChange: Array.isArray(allow) ? allow.filter((a): a is string => typeof a === 'string') : [],
  };
}

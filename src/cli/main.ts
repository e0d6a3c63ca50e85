/**
 * The `kioku` command line. Each feature area registers its subcommands here (one
 * `register*` call per module under src/cli/), parsed by commander with `--help`
 * everywhere and unknown options refused.
 */
import { Command, CommanderError } from 'commander';
import '../index.node.js';
import { KiokuError } from '../util/errors.js';
import { setCommandArgs } from '../node/run-dir.js';
import { VERSION } from '../version.js';
import { registerTextCommands } from './text.js';
import { registerExperimentCommands } from './experiment.js';
import { registerSentimentCommands } from './sentiment.js';
import { registerForecastCommands } from './forecast.js';
import { registerSeq2seqCommands } from './seq2seq.js';
import { registerWord2vecCommands } from './word2vec.js';
import { registerHandwritingCommands } from './handwriting.js';
import { registerLabCommands } from './lab.js';
import { registerExerciseCommands } from './exercise.js';
import { registerMemoryCommands } from './memory.js';

/** Build the full command tree (exported for tests and docs). */
export function buildProgram(): Command {
  const program = new Command('kioku')
    .description(
      'A workbench for recurrent neural networks: train, sample, inspect and compare RNN, LSTM and GRU models.',
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    // Through console, so embedding code (and the tests) can capture what kioku prints.
    .configureOutput({
      writeOut: (s) => console.log(s.replace(/\n$/, '')),
      writeErr: (s) => console.error(s.replace(/\n$/, '')),
    });
  const registrars: ((p: Command) => void)[] = [
    registerTextCommands,
    registerExperimentCommands,
    registerHandwritingCommands,
    registerSentimentCommands,
    registerForecastCommands,
    registerSeq2seqCommands,
    registerWord2vecCommands,
    registerLabCommands,
    registerExerciseCommands,
    registerMemoryCommands,
  ];
  for (const r of registrars) r(program);
  // Subcommands inherit exitOverride so errors come back to main() instead of exiting.
  const propagate = (c: Command): void => {
    for (const sub of c.commands) {
      sub.exitOverride();
      sub.showHelpAfterError('(run with --help for usage)');
      propagate(sub);
    }
  };
  propagate(program);
  return program;
}

/** Run the CLI with `argv` (without `node` and the script). Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  setCommandArgs(argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit with code 0; usage errors (already printed by commander)
      // exit with 2, as argparse and click do, so scripts can tell them from failures.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof KiokuError) {
      console.error(`kioku: ${err.message}`);
      // A stopped training run (Ctrl-C) exits 130 like an interrupted shell command.
      return 'exitCode' in err && typeof err.exitCode === 'number' ? err.exitCode : 1;
    }
    throw err;
  }
}

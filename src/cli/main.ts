/**
 * The `kioku` command line: `kioku <area> <verb>` (charlm, handwriting, sentiment,
 * forecast, seq2seq, word2vec, experiment), each command declared once as an option
 * schema (schema.ts). Exit codes: 0 success (and --help), 1 an error while running
 * (a missing file, a bad model), 2 a usage error (an unknown or invalid option, a bad
 * --config file), as argparse and click do.
 */
import { Command, CommanderError } from 'commander';
import '../index.node.js';
import { KiokuError } from '../util/errors.js';
import { UsageError } from './schema.js';
import { setCommandArgs } from '../node/run-dir.js';
import { VERSION } from '../version.js';
import { registerCharlmCommands } from './charlm.js';
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
    registerCharlmCommands,
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

/** The exit code of a usage error. */
export const EXIT_USAGE = 2;

/** Run the CLI with `argv` (without `node` and the script). Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  setCommandArgs(argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit with code 0; usage errors (already printed by commander) with 2.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (err instanceof UsageError) {
      console.error(`kioku: ${err.message} (run with --help for usage)`);
      return EXIT_USAGE;
    }
    if (err instanceof KiokuError) {
      console.error(`kioku: ${err.message}`);
      // A stopped training run (Ctrl-C) exits 130 like an interrupted shell command.
      return 'exitCode' in err && typeof err.exitCode === 'number' ? err.exitCode : 1;
    }
    throw err;
  }
}

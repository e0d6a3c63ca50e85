// The kioku CLI as its own process, from the sources (tests that send it signals):
//   node --import tsx test/helpers/cli-child.ts train char ...
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));

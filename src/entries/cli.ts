/**
 * `kioku/cli`: the `kioku` command as a function, for running it in-process.
 *
 * ```ts
 * import { main } from 'kioku/cli';
 * const code = await main(['train', 'char', 'notes.txt', '--steps', '10']);
 * ```
 *
 * @module
 */
export { main, buildProgram } from '../cli/main.js';

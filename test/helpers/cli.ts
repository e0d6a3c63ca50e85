// Run the kioku CLI in-process and capture what it prints (faster than spawning node).
// kioku prints through console.log / console.error; process.stdout itself is left alone,
// because node's test runner reports its results through it.
import { main } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const err = process.stderr.write.bind(process.stderr);
  const log = console.log;
  const error = console.error;
  process.stderr.write = ((chunk: string | Uint8Array) => (
    (stderr += String(chunk)),
    true
  )) as typeof process.stderr.write;
  console.log = (...a: unknown[]) => void (stdout += a.join(' ') + '\n');
  console.error = (...a: unknown[]) => void (stderr += a.join(' ') + '\n');
  try {
    let code: number;
    try {
      code = await main(args);
    } catch (e) {
      stderr += `uncaught: ${(e as Error).stack}\n`;
      code = 99;
    }
    return { code, stdout, stderr };
  } finally {
    process.stderr.write = err;
    console.log = log;
    console.error = error;
  }
}

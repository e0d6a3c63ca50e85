/**
 * `kioku lab`: serve the lab — the engine in the page, the cell explorer and the RNN vs
 * LSTM vs GRU bench — on this machine and print its address.
 */
import type { Command } from 'commander';
import { startLabServer } from '../node/lab-server.js';
import { intArg } from './options.js';

export function registerLabCommands(program: Command): void {
  program
    .command('lab')
    .description('serve the lab (cell explorer, RNN/LSTM/GRU bench) in the browser on 127.0.0.1')
    .option('--port <n>', 'TCP port (0 = any free port)', intArg(0, 65535), 5178)
    .option('--host <host>', 'interface to bind; only give another than 127.0.0.1 on purpose', '127.0.0.1')
    .option('--runs <dir>', 'folder whose <name>/model.safetensors the page may open', 'runs')
    .action(async (o: { port: number; host: string; runs: string }) => {
      const lab = await startLabServer({ port: o.port, host: o.host, runs: o.runs });
      console.log(`kioku lab: ${lab.url}`);
      console.log('(cross-origin isolated: WASM threads on; press Ctrl+C to stop)');
      await new Promise<void>((done) => {
        const stop = (): void => {
          void lab.close().then(done);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}

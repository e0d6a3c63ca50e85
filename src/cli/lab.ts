/**
 * `kioku lab`: serve the lab — the engine in the page, the cell explorer and the RNN vs
 * LSTM vs GRU bench — on this machine and print its address.
 */
import type { Command } from 'commander';
import { startLabServer } from '../node/lab-server.js';
import { defineCommand, int, str } from './schema.js';

const lab = defineCommand({
  name: 'lab',
  description: 'serve the lab (cell explorer, RNN/LSTM/GRU bench) in the browser on 127.0.0.1',
  options: {
    port: int('TCP port (0 = any free port)', { min: 0, max: 65535, default: 5178 }),
    host: str('interface to bind; only give another than 127.0.0.1 on purpose', {
      arg: 'host',
      default: '127.0.0.1',
    }),
    runs: str('folder whose <name>/model.safetensors the page may open', { arg: 'dir', default: 'runs' }),
  },
  async run(o) {
    const server = await startLabServer({ port: o.port, host: o.host, runs: o.runs });
    // Printed at once (also with --json, on stderr), since the command runs until stopped.
    const say = o.json ? (m: string) => console.error(m) : (m: string) => console.log(m);
    say(`kioku lab: ${server.url}`);
    say('(cross-origin isolated: WASM threads on; press Ctrl+C to stop)');
    await new Promise<void>((done) => {
      const stop = (): void => {
        void server.close().then(done);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return { url: server.url, stopped: true };
  },
});

export function registerLabCommands(program: Command): void {
  lab.attach(program);
}

#!/usr/bin/env node
// The `kioku` command: runs the compiled CLI (dist/, built by `npm install` via `prepare`).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code ?? 0),
  (err) => {
    console.error(`kioku: ${err && err.message ? err.message : String(err)}`);
    process.exit(1);
  },
);

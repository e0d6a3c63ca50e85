#!/usr/bin/env node
// The `kioku` command: runs the compiled CLI (dist/, built by `npm run build`; `npm ci` in a
// clone runs it via `prepare`, the published package ships it).
const OPTIONAL = ['vega', 'vega-lite', '@resvg/resvg-js'];

function fail(err) {
  console.error(`kioku: ${err && err.message ? err.message : String(err)}`);
  process.exit(1);
}

let cli;
try {
  // The FMA build of the WASM kernels where this Node has it behind a flag (Node 20), set
  // before the first kernel compiles (src/node/wasm-host.ts; KIOKU_RELAXED_SIMD=0: off).
  (await import('../dist/node/relaxed-simd.js')).enableRelaxedSimd();
  cli = await import('../dist/cli/main.js');
} catch (err) {
  // The figure libraries are optional peer dependencies of the library; the CLI draws figures.
  const missing = OPTIONAL.find(
    (p) => err?.code === 'ERR_MODULE_NOT_FOUND' && err.message.includes(`'${p}'`),
  );
  if (missing) {
    fail(
      new Error(
        `the CLI draws figures with vega, vega-lite and @resvg/resvg-js (optional peer dependencies), ` +
          `and '${missing}' is not installed: npm install ${OPTIONAL.join(' ')}`,
      ),
    );
  }
  fail(err);
}
cli.main(process.argv.slice(2)).then((code) => process.exit(code ?? 0), fail);

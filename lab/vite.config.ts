// Vite build of the lab: a static folder (dist/lab) with relative URLs, so it works from
// `kioku lab` (cross-origin isolated: WASM threads) or from any static host (one thread).
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/lab', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      output: {
        // The shipped models keep their path and name (dist/lab/models/handwriting/lstm.safetensors,
        // …), so the static folder is complete, and `kioku lab` can serve the same URLs from the
        // package's models/ folder instead (src/node/lab-server.ts): the npm package leaves
        // dist/lab/models/ out (package.json "files") and carries each model once.
        assetFileNames: (asset) => {
          const model = asset.originalFileNames.find((f) => f.startsWith('../models/'));
          return model ? model.slice('../'.length) : 'assets/[name]-[hash][extname]';
        },
      },
    },
  },
  worker: { format: 'es' },
  server: { headers: isolation, fs: { allow: ['..'] } },
  preview: { headers: isolation },
});

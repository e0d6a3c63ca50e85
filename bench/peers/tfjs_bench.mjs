/* global process, console */
// TensorFlow.js peer (pure-JS cpu backend) of kioku's benchmark; optional, dev-time only:
//   npm install --no-save @tensorflow/tfjs
//   node bench/peers/tfjs_bench.mjs '{"config": {...}, "seconds": 2}'
// The model and the timing rule are tfjs_model.mjs's (shared with the browser benchmark).
// Prints one JSON line. (The tfjs wasm backend cannot train recurrent layers: it lacks their
// gradient kernels.)
import { trainTfjs } from './tfjs_model.mjs';

const args = JSON.parse(process.argv[2] ?? '{}');

let tf;
try {
  tf = await import('@tensorflow/tfjs');
} catch {
  console.log(JSON.stringify({ error: '@tensorflow/tfjs not installed' }));
  process.exit(0);
}
await tf.setBackend('cpu');
const r = await trainTfjs(tf, args.config, Number(args.seconds ?? 2));
console.log(
  JSON.stringify({
    tfjs: tf.version.tfjs,
    ...r,
    sampleCharsPerSec: null,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  }),
);

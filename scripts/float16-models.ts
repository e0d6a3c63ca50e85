/**
 * Store the float32 weights of kioku model files as float16 (safetensors `F16`), in place:
 * half the bytes for the lab page to download and the npm package to carry. Every tensor,
 * integer tensor and metadata entry is kept; the CRC-32 (`kioku.crc32`) is recomputed. A
 * file already in float16 is left alone. Every kioku loader widens F16 back to float32.
 *
 * Handwriting models (`format: kioku-handwriting`) record their validation numbers in
 * `info.valid`; those are re-measured here on the float16 weights (`evaluateSavedModel`, what
 * `kioku handwriting eval` prints) and the float32 ones kept as `info.validFloat32`, so that
 * `kioku handwriting compare` shows what the shipped weights score. For other files the
 * numbers the docs quote must be re-measured with their eval command (docs/lab.md,
 * docs/memory.md say how).
 *
 *   node --import tsx scripts/float16-models.ts models/handwriting/*.safetensors
 */
import { readFileSync } from 'node:fs';
import '../src/index.node.js';
import { CHECKSUM_KEY, decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { writeFileAtomic } from '../src/node/atomic.js';
import { HANDWRITING_FORMAT } from '../src/wings/handwriting/codec.js';
import { evaluateSavedModel } from '../src/wings/handwriting/run.js';
import type { StrokeDataOptions } from '../src/wings/handwriting/data.js';

const files = process.argv.slice(2);
if (files.length === 0) throw new Error('usage: float16-models.ts FILE.safetensors...');

for (const file of files) {
  const bytes = readFileSync(file);
  const { tensors, ints, metadata, dtypes } = decodeSafetensors(bytes, { context: file });
  if (Object.values(dtypes).every((d) => d !== 'F32')) {
    console.log(`${file}: no float32 tensors, left as it is`);
    continue;
  }
  const { [CHECKSUM_KEY]: checksum, ...meta } = metadata;
  const encode = (m: Record<string, string>) =>
    encodeSafetensors({ ...tensors, ...ints }, m, { checksum: checksum !== undefined, float16: true });
  let out = encode(meta);
  writeFileAtomic(file, out);
  if (meta.format === HANDWRITING_FORMAT) {
    const info = JSON.parse(meta.info) as { valid: Record<string, number>; dataOptions: StrokeDataOptions };
    const { path: _path, ...valid } = evaluateSavedModel(file, info.dataOptions);
    console.log(
      `${file}: validation NLL ${info.valid.nllPerSequence.toFixed(2)} → ${valid.nllPerSequence.toFixed(2)} nats/sequence, ` +
        `${info.valid.nllPerPoint.toFixed(4)} → ${valid.nllPerPoint.toFixed(4)} nats/point, ` +
        `SSE ${info.valid.ssePerSequence.toFixed(2)} → ${valid.ssePerSequence.toFixed(2)} (float32 → float16 weights)`,
    );
    out = encode({ ...meta, info: JSON.stringify({ ...info, valid, validFloat32: info.valid }) });
    writeFileAtomic(file, out);
  }
  console.log(`${file}: ${bytes.length} → ${out.length} bytes`);
}

// Differential test against Hugging Face's reference safetensors implementation, on the
// committed corpus of tricky headers written by scripts/safetensors-corpus.py: kioku
// accepts and refuses the same files, except where a case records a deliberate difference
// (`kioku` + `why`, listed in docs/loaders.md). Refusals must be KiokuErrors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeSafetensors } from '../src/io/safetensors.js';
import { KiokuError } from '../src/util/errors.js';

interface Case {
  name: string;
  header: string;
  dataBytes: number;
  reference: 'accept' | 'refuse';
  kioku?: 'accept' | 'refuse';
  why?: string;
}

const corpus = JSON.parse(
  readFileSync(new URL('./fixtures/safetensors-corpus.json', import.meta.url), 'utf8'),
) as Case[];

function build(c: Case): Uint8Array {
  const h = new TextEncoder().encode(c.header);
  const bytes = new Uint8Array(8 + h.length + c.dataBytes);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(h.length), true);
  bytes.set(h, 8);
  return bytes;
}

test('safetensors: kioku matches the reference on the tricky-header corpus (or documents why not)', () => {
  assert.ok(corpus.length >= 40);
  let same = 0;
  const differences: string[] = [];
  for (const c of corpus) {
    let got: 'accept' | 'refuse' = 'accept';
    try {
      decodeSafetensors(build(c), { context: c.name });
    } catch (e) {
      assert.ok(e instanceof KiokuError, `${c.name}: expected a KiokuError, got ${String(e)}`);
      assert.ok(e.message.startsWith(`${c.name}: `), `${c.name}: the message names the file: ${e.message}`);
      got = 'refuse';
    }
    assert.equal(got, c.kioku ?? c.reference, `${c.name}: kioku should ${c.kioku ?? c.reference}`);
    if (c.kioku !== undefined && c.kioku !== c.reference) {
      assert.ok(c.why, `${c.name}: a deliberate difference says why`);
      differences.push(c.name);
    } else same++;
  }
  console.log(
    `safetensors corpus: ${same} of ${corpus.length} cases as the reference; deliberate differences: ${differences.join(', ')}`,
  );
});

// Property-based fuzzing of every loader and of the CLI's argument parsing (issue #12):
// each generated input is either accepted into a valid object or refused with a
// KiokuError that names the file/flag — never a raw JS error (TypeError, RangeError,
// "Maximum call stack size exceeded", ...), never more than MEMORY_BOUND of typed arrays
// for one input, never a hang (each test has a timeout). Fixed seed, bounded budget
// (FUZZ_RUNS per property, default 300), so CI runs the same inputs every time.
// Set FUZZ_RUNS=2000 locally for a longer hunt.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { Command, CommanderError } from 'commander';
import { decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint-codec.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { Tensor } from '../src/tensor/tensor.js';
import { KiokuError } from '../src/util/errors.js';
import { parseJson } from '../src/util/json.js';
import { buildProgram } from '../src/cli/main.js';
import { CHARLM_TRAIN_OPTIONS } from '../src/cli/charlm.js';
import { COMMON_OPTIONS, resolveValues } from '../src/cli/schema.js';
import { CharLM, countCharLMParameters } from '../src/wings/charlm/model.js';
import { countForecastParameters, Forecaster } from '../src/wings/forecast/model.js';
import { countSentimentParameters, SentimentModel } from '../src/wings/sentiment/model.js';
import { countSeq2SeqParameters, Seq2Seq } from '../src/wings/seq2seq/model.js';
import { POOL_MODES } from '../src/nn/pooling.js';
import { ATTENTION_KINDS } from '../src/nn/attention.js';
import { loadCharLM } from '../src/wings/charlm/io.js';
import { readTextFile } from '../src/wings/charlm/corpus.js';
import { HandwritingModel } from '../src/wings/handwriting/model.js';
import { loadHandwritingModel } from '../src/wings/handwriting/io.js';
import { saveSafetensors } from '../src/node/safetensors-file.js';
import { parseLineStrokes } from '../src/wings/handwriting/strokes-iam.js';
import { parseStroke3Json } from '../src/wings/handwriting/strokes-stroke3.js';
import { readWord2vecText } from '../src/wings/word2vec/io.js';

const SEED = 20261128;
/** A hang guard, not a timing assertion: far above what each property needs. */
const TEST_TIMEOUT_MS = 120_000;
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const dir = mkdtempSync(join(tmpdir(), 'kioku-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Per-loader counts, printed at the end (the closing note quotes them). */
const counts = new Map<string, { inputs: number; accepted: number; refused: number }>();

/**
 * Every generated input is at most a few kilobytes, so no load may grow the memory held in
 * typed arrays by more than this (a config trusted before the weights allocates gigabytes).
 */
const MEMORY_BOUND = 64 * 2 ** 20;

/** Fail when `before` → now grew the typed-array memory past MEMORY_BOUND. */
function checkMemory(loader: string, before: number): void {
  const grown = process.memoryUsage().arrayBuffers - before;
  if (grown > MEMORY_BOUND) throw new Error(`${loader}: one input grew typed-array memory by ${grown} bytes`);
}

/**
 * Run `load` on one input: accepted (then `valid` must hold) or refused with a
 * KiokuError whose message contains `name` (the file or flag), within MEMORY_BOUND.
 * Anything else fails.
 */
function judge<T>(loader: string, name: string, load: () => T, valid: (v: T) => boolean = () => true): void {
  const c = counts.get(loader) ?? { inputs: 0, accepted: 0, refused: 0 };
  counts.set(loader, c);
  c.inputs++;
  let v: T;
  const before = process.memoryUsage().arrayBuffers;
  try {
    v = load();
  } catch (e) {
    if (!(e instanceof KiokuError))
      throw new Error(`${loader}: raw error instead of a KiokuError: ${String(e)}`, { cause: e });
    if (!e.message.includes(name))
      throw new Error(`${loader}: message does not name ${name}: ${e.message}`, { cause: e });
    checkMemory(loader, before);
    c.refused++;
    return;
  }
  checkMemory(loader, before);
  if (!valid(v)) throw new Error(`${loader}: accepted an invalid result`);
  c.accepted++;
}

const params = { seed: SEED, numRuns: RUNS, endOnFailure: true };

/** Mutations of a valid byte string: flips, overwrites, cuts, splices of interesting bytes. */
function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), byte: fc.constant(0) }),
    fc.record({
      kind: fc.constant('text' as const),
      at: fc.nat(),
      byte: fc.constantFrom(
        ...'{}[]",:0123456789-.eE\\u'.split('').map((c) => c.charCodeAt(0)),
        0xef,
        0xbb,
        0xbf,
      ),
    }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let b = Uint8Array.from(base);
    for (const e of edits) {
      const at = b.length === 0 ? 0 : e.at % b.length;
      if (e.kind === 'set' || e.kind === 'text') b[at] = e.byte;
      else if (e.kind === 'flip') b[at] ^= 1 << e.byte;
      else b = b.subarray(0, at);
    }
    return b;
  });
}

function charModelBytes(config: unknown, extra: unknown = { vocab: ['a', 'b', 'c'] }): Uint8Array {
  return encodeCheckpoint({
    config,
    model: new CharLM({
      vocabSize: 3,
      cell: 'gru',
      hidden: 4,
      layers: 1,
      embed: 2,
      dropout: 0,
      seed: 0,
    }).stateDict(),
    step: 1,
    extra,
  });
}
const CHAR_CONFIG = { vocabSize: 3, cell: 'gru', hidden: 4, layers: 1, embed: 2, dropout: 0, seed: 0 };

/** JSON-ish values that stress loaders: huge/negative/fractional numbers, wrong types. */
const weird = fc.oneof(
  fc.constantFrom(0, -1, 1, 2, 3, 4, 1.5, 1e6, 2147483648, 1e300, -0, null, 'lstm', 'gru', 'x', true, [], {}),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 8 }),
);

/** Mostly the valid value, sometimes a weird one: so that both outcomes get exercised. */
const usually = <T>(v: T): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(v) }, { weight: 1, arbitrary: weird });

test(
  'fuzz: safetensors bytes (mutated valid files and generated headers)',
  { timeout: TEST_TIMEOUT_MS },
  () => {
    const base = encodeSafetensors(
      { w: Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3]), b: Tensor.fromArray([1, 2], [2]) },
      { note: 'x' },
      { checksum: true },
    );
    fc.assert(
      fc.property(mutated(base), (bytes) =>
        judge('safetensors (mutated)', 'decodeSafetensors', () => decodeSafetensors(bytes)),
      ),
      params,
    );
    const info = fc.record(
      {
        dtype: fc.oneof(fc.constantFrom('F32', 'F64', 'F16', 'I64', 'U8', 'BOOL', 'F8_E4M3'), weird),
        shape: fc.oneof(fc.array(fc.nat(5), { maxLength: 3 }), weird),
        data_offsets: fc.oneof(fc.tuple(fc.nat(64), fc.nat(64)), weird),
      },
      { requiredKeys: [] },
    );
    const header = fc.dictionary(
      fc.oneof(fc.constantFrom('__metadata__', '__proto__', 'w', 'b'), fc.string({ maxLength: 4 })),
      fc.oneof(info, weird),
      { maxKeys: 4 },
    );
    fc.assert(
      fc.property(header, fc.nat(64), (h, dataLen) => {
        const json = new TextEncoder().encode(JSON.stringify(h));
        const bytes = new Uint8Array(8 + json.length + dataLen);
        new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
        bytes.set(json, 8);
        judge('safetensors (generated headers)', 'decodeSafetensors', () => decodeSafetensors(bytes));
      }),
      params,
    );
  },
);

test('fuzz: checkpoints (mutated bytes)', { timeout: TEST_TIMEOUT_MS }, () => {
  const base = charModelBytes({ kind: 'charlm', model: CHAR_CONFIG, train: {} });
  fc.assert(
    fc.property(mutated(base), (bytes) =>
      judge('checkpoint', 'decodeCheckpoint', () => decodeCheckpoint(bytes)),
    ),
    params,
  );
});

test('fuzz: char-LM model files (config fields and vocabularies)', { timeout: TEST_TIMEOUT_MS }, () => {
  const p = join(dir, 'char.safetensors');
  const config = fc.record({
    vocabSize: usually(3),
    cell: usually('gru'),
    hidden: usually(4),
    layers: usually(1),
    embed: usually(2),
    dropout: usually(0),
    seed: usually(0),
  });
  fc.assert(
    fc.property(
      fc.oneof(config, weird),
      fc.oneof(
        { weight: 3, arbitrary: fc.constant({ vocab: ['a', 'b', 'c'] }) },
        fc.record({ vocab: weird }),
        weird,
      ),
      (model, extra) => {
        writeFileSync(p, charModelBytes({ kind: 'charlm', model, train: {} }, extra));
        judge(
          'char-LM model',
          p,
          () => loadCharLM(p),
          (m) => m.vocab.size === m.model.config.vocabSize,
        );
      },
    ),
    { ...params, numRuns: Math.ceil(RUNS / 2) },
  );
});

test('fuzz: handwriting model files (config fields)', { timeout: TEST_TIMEOUT_MS }, () => {
  const good = new HandwritingModel({ cell: 'gru', hiddenSize: 3, numLayers: 1, mixtures: 2 });
  const tensors = good.stateDict();
  const p = join(dir, 'hw.safetensors');
  const config = fc.record(
    {
      cell: usually('gru'),
      hiddenSize: usually(3),
      numLayers: usually(1),
      mixtures: usually(2),
      skip: usually(true),
      peephole: usually(false),
      inputSize: usually(3),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(fc.oneof(config, weird), usually({ meanX: 0, meanY: 0, stdX: 1, stdY: 1 }), (cfg, stats) => {
      saveSafetensors(p, tensors, {
        format: 'kioku-handwriting',
        version: '1',
        config: JSON.stringify(cfg) ?? 'null',
        stats: JSON.stringify(stats) ?? 'null',
      });
      judge('handwriting model', p, () => loadHandwritingModel(p));
    }),
    { ...params, numRuns: Math.ceil(RUNS / 2) },
  );
});

test('fuzz: IAM lineStrokes XML', { timeout: TEST_TIMEOUT_MS }, () => {
  const num = fc.oneof(
    fc.constantFrom('1', '-2.5', '1e39', '0x10', '0o7', 'NaN', '', ' 3 ', '1e-3'),
    fc.double().map(String),
  );
  const entity = fc.oneof(
    fc.constantFrom('&amp;', '&lt;', '&#65;', '&#x10FFFF;', '&#1114112;', '&#xD800;', '&#0;', '&bogus;', '&'),
    fc.string({ maxLength: 3 }),
  );
  const xml = fc
    .tuple(num, num, entity, fc.nat(3), fc.string({ maxLength: 6 }))
    .map(([x, y, e, cut, junk]) => {
      const doc = `<?xml version="1.0"?><WhiteboardCaptureSession><StrokeSet><Stroke colour="${e}"><Point x="${x}" y="${y}" time="1"/></Stroke></StrokeSet></WhiteboardCaptureSession>`;
      return cut === 0 ? doc.slice(0, doc.length / 2) + junk : cut === 1 ? doc + junk : doc;
    });
  fc.assert(
    fc.property(fc.oneof(xml, fc.string({ maxLength: 40 })), (text) =>
      judge(
        'IAM XML',
        'f.xml',
        () => parseLineStrokes(text, 'f.xml'),
        (d) => d.strokes.every((s) => s.every((pt) => Number.isFinite(pt.x) && Math.abs(pt.x) < 3.5e38)),
      ),
    ),
    params,
  );
});

test('fuzz: stroke-3 JSON', { timeout: TEST_TIMEOUT_MS }, () => {
  const row = fc.oneof(
    fc.tuple(fc.oneof(fc.integer(), fc.double(), fc.constant(1e39)), fc.integer(), fc.constantFrom(0, 1, 2)),
    weird,
  );
  const doc = fc.oneof(
    fc.array(row, { maxLength: 4 }),
    fc.array(fc.array(row, { maxLength: 3 }), { maxLength: 3 }),
    fc.record({
      drawings: fc.array(
        fc.oneof(fc.record({ strokes: fc.array(row, { maxLength: 3 }), id: weird }), weird),
        { maxLength: 3 },
      ),
    }),
    fc.jsonValue(),
  );
  const text = fc.oneof(
    doc.map((d) => JSON.stringify(d)),
    fc.nat(200).map((n) => '['.repeat(n) + ']'.repeat(n)),
    fc.string({ maxLength: 20 }),
  );
  fc.assert(
    fc.property(text, (t) =>
      judge(
        'stroke-3',
        's.json',
        () => parseStroke3Json(t, 's.json'),
        (seqs) => seqs.every((s) => s.data.every(Number.isFinite)),
      ),
    ),
    params,
  );
});

test('fuzz: word2vec text files', { timeout: TEST_TIMEOUT_MS }, () => {
  const p = join(dir, 'vectors.txt');
  const line = fc
    .array(fc.oneof(fc.constantFrom('the', 'a', '0.5', '-1e39', '0x1', 'NaN', ''), fc.double().map(String)), {
      maxLength: 4,
    })
    .map((w) => w.join(' '));
  const head = fc.oneof(
    fc.tuple(fc.nat(3), fc.nat(3)).map(([n, d]) => `${n} ${d}`),
    fc.constantFrom('1 5000000000', '9007199254740993 2', '2 2 2', ''),
    fc.string({ maxLength: 6 }),
  );
  // Well-formed files (n rows of a word and d numbers) with a few mutations on top.
  const wellFormed = fc
    .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
    .chain(([n, d]) =>
      fc
        .array(
          fc.array(
            fc.oneof(
              { weight: 5, arbitrary: fc.float({ noNaN: true, noDefaultInfinity: true }) },
              fc.constant(1e39),
            ),
            { minLength: d, maxLength: d },
          ),
          { minLength: n, maxLength: n },
        )
        .map((rows) => [`${n} ${d}`, ...rows.map((r, i) => `w${i} ${r.join(' ')}`)]),
    );
  fc.assert(
    fc.property(
      fc.oneof(
        wellFormed,
        fc.tuple(head, fc.array(line, { maxLength: 4 })).map(([h, rows]) => [h, ...rows]),
      ),
      (lines) => {
        writeFileSync(p, lines.join('\n'));
        judge(
          'word2vec text',
          p,
          () => readWord2vecText(p),
          (v) => v.vectors.length === v.words.length * v.dim,
        );
      },
    ),
    params,
  );
});

test('fuzz: text corpora', { timeout: TEST_TIMEOUT_MS }, () => {
  const p = join(dir, 'corpus.txt');
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 32 }),
        fc.string({ maxLength: 32, unit: 'grapheme' }).map((s) => new TextEncoder().encode(s)),
      ),
      (bytes) => {
        writeFileSync(p, bytes);
        judge(
          'corpus',
          p,
          () => readTextFile(p),
          (t) => t.trim().length > 0,
        );
      },
    ),
    params,
  );
});

/** The `train char` command of a fresh program (its action is never run). */
test('fuzz: --config files', { timeout: TEST_TIMEOUT_MS }, () => {
  const p = join(dir, 'config.json');
  const keys = fc.constantFrom(
    'steps',
    'data',
    'hidden',
    'layers',
    'cell',
    'lr',
    'config',
    'nope',
    '__proto__',
  );
  const text = fc.oneof(
    fc.dictionary(keys, weird, { maxKeys: 3 }).map((d) => JSON.stringify(d)),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 12 }).map((s) => '\ufeff' + s),
    fc.nat(300).map((n) => '{"a":' + '['.repeat(n) + ']'.repeat(n) + '}'),
  );
  fc.assert(
    fc.property(text, (t) => {
      writeFileSync(p, t);
      const schema = { ...CHARLM_TRAIN_OPTIONS, ...COMMON_OPTIONS };
      judge('--config', p, () => resolveValues(schema, () => ({ given: false, value: undefined }), p));
    }),
    params,
  );
});

test('fuzz: CLI argument parsing of every command', { timeout: TEST_TIMEOUT_MS }, async () => {
  const program = buildProgram();
  const leaves: Command[] = [];
  const walk = (c: Command): void => {
    if (c.commands.length === 0) leaves.push(c);
    for (const s of c.commands) walk(s);
  };
  walk(program);
  const paths = leaves.map((c) => {
    const names: string[] = [];
    for (let x: Command | null = c; x && x !== program; x = x.parent) names.unshift(x.name());
    return names;
  });
  const flags = [...new Set(leaves.flatMap((c) => c.options.map((o) => o.long ?? '')))].filter(Boolean);
  const value = fc.oneof(
    fc.constantFrom('', '-1', '0', '1', '1e39', 'abc', '1,,2', 'NaN', '99999', 'lstm', '--x'),
    fc.string({ maxLength: 5 }),
  );
  const argv = fc.tuple(
    fc.constantFrom(...paths),
    fc.array(fc.tuple(fc.constantFrom(...flags), value), { maxLength: 3 }),
  );
  let parsed = 0;
  await fc.assert(
    fc.asyncProperty(argv, async ([path, opts]) => {
      const args = [...path, ...opts.flat()];
      const prog = buildProgram();
      // Parse only: every action is replaced by one that records the parsed options.
      const stub = (c: Command): void => {
        c.action(() => {
          parsed++;
        });
        c.commands.forEach(stub);
      };
      stub(prog);
      prog.configureOutput({ writeOut: () => {}, writeErr: () => {} });
      for (const c of [prog, ...prog.commands, ...prog.commands.flatMap((c) => c.commands)])
        c.configureOutput({ writeOut: () => {}, writeErr: () => {} });
      const c = counts.get('CLI arguments') ?? { inputs: 0, accepted: 0, refused: 0 };
      counts.set('CLI arguments', c);
      c.inputs++;
      try {
        await prog.parseAsync(args, { from: 'user' });
        c.accepted++;
      } catch (e) {
        if (!(e instanceof CommanderError || e instanceof KiokuError))
          throw new Error(`raw error for ${JSON.stringify(args)}: ${String(e)}`, { cause: e });
        // "unknown option '--x'", "option '--steps <n>' argument 'abc' is invalid", "required option '--model <path>' not specified", ...
        if (!/'[^']+'/.test(e.message))
          throw new Error(`the refusal names no flag or command: ${e.message}`, { cause: e });
        c.refused++;
      }
    }),
    { ...params, numRuns: RUNS * 2 },
  );
  assert.ok(parsed > 0, 'some generated command lines parse');
});

/** Sum of the element counts of a state dict. */
const stored = (sd: Record<string, Tensor>): number => Object.values(sd).reduce((n, t) => n + t.size, 0);

test('the parameter counts that loaders check before allocating are exact', () => {
  const cell2 = fc.constantFrom('lstm' as const, 'gru' as const);
  const small = fc.integer({ min: 1, max: 4 });
  fc.assert(
    fc.property(
      fc.record({
        cell: fc.constantFrom('lstm' as const, 'gru' as const, 'rnn' as const),
        vocabSize: small,
        hidden: small,
        layers: fc.integer({ min: 1, max: 3 }),
        embed: small,
      }),
      (c) =>
        countCharLMParameters({ ...c, dropout: 0, seed: 0 }) ===
        stored(new CharLM({ ...c, dropout: 0, seed: 0 }).stateDict()),
    ),
    { ...params, numRuns: 40 },
  );
  fc.assert(
    fc.property(
      fc.record({
        cell: cell2,
        hiddenSize: small,
        numLayers: fc.integer({ min: 1, max: 3 }),
        lookback: small,
        horizon: small,
        mode: fc.constantFrom('direct' as const, 'recursive' as const),
      }),
      (c) => countForecastParameters(c) === stored(new Forecaster(c).stateDict()),
    ),
    { ...params, numRuns: 40 },
  );
  fc.assert(
    fc.property(
      fc.record({
        cell: cell2,
        bidirectional: fc.boolean(),
        vocabSize: fc.integer({ min: 3, max: 6 }),
        embedDim: small,
        hiddenSize: small,
        numLayers: fc.integer({ min: 1, max: 3 }),
        pool: fc.constantFrom(...POOL_MODES),
        dropout: fc.constant(0),
        maxLen: small,
      }),
      (c) => countSentimentParameters(c) === stored(new SentimentModel(c).stateDict()),
    ),
    { ...params, numRuns: 40 },
  );
  fc.assert(
    fc.property(
      fc.record({
        cell: cell2,
        srcVocab: fc.integer({ min: 4, max: 7 }),
        tgtVocab: fc.integer({ min: 4, max: 7 }),
        embedDim: small,
        encoderHidden: small,
        bidirectional: fc.boolean(),
        encoderLayers: fc.integer({ min: 1, max: 3 }),
        attention: fc.constantFrom(...ATTENTION_KINDS),
        dropout: fc.constant(0),
      }),
      (c) => countSeq2SeqParameters(c) === stored(new Seq2Seq(c).stateDict()),
    ),
    { ...params, numRuns: 40 },
  );
});

test('fuzz: parseJson agrees with JSON.parse on valid JSON', { timeout: TEST_TIMEOUT_MS }, () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
      const text = JSON.stringify(v);
      assert.deepEqual(parseJson(text, 'x.json'), JSON.parse(text));
    }),
    params,
  );
});

after(() => {
  let total = { inputs: 0, accepted: 0, refused: 0 };
  const lines = ['fuzz counts (seed ' + SEED + ', ' + RUNS + ' runs per property):'];
  for (const [name, c] of counts) {
    lines.push(
      `  ${name.padEnd(32)} inputs ${String(c.inputs).padStart(5)}  accepted ${String(c.accepted).padStart(5)}  refused ${String(c.refused).padStart(5)}`,
    );
    total = {
      inputs: total.inputs + c.inputs,
      accepted: total.accepted + c.accepted,
      refused: total.refused + c.refused,
    };
  }
  lines.push(
    `  ${'total'.padEnd(32)} inputs ${String(total.inputs).padStart(5)}  accepted ${String(total.accepted).padStart(5)}  refused ${String(total.refused).padStart(5)}  other 0`,
  );
  console.log(lines.join('\n'));
});

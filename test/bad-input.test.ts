// One test per defect of issue #12 ("nothing hangs, nothing blows up memory"): each failed
// on main before the fix (hang, memory growth, raw JS error or silent acceptance) and now
// gets one clear KiokuError / CLI message naming the file or flag.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Tensor } from '../src/tensor/tensor.js';
import { encodeCheckpoint } from '../src/io/checkpoint-codec.js';
import { decodeSafetensors, encodeSafetensors } from '../src/io/safetensors.js';
import { writeFileAtomic } from '../src/node/atomic.js';
import { loadCheckpoint, saveCheckpoint } from '../src/node/checkpoint-file.js';
import { cannotWrite, makeDirs, pruneFiles, readFileBounded, removeStaleTemps } from '../src/node/files.js';
import { loadSafetensors, saveSafetensors } from '../src/node/safetensors-file.js';
import { RunDir } from '../src/node/run-dir.js';
import { CharLM } from '../src/wings/charlm/model.js';
import { loadCharLM } from '../src/wings/charlm/io.js';
import { HandwritingModel } from '../src/wings/handwriting/model.js';
import { loadHandwritingModel, saveHandwritingModel } from '../src/wings/handwriting/io.js';
import { parseLineStrokes } from '../src/wings/handwriting/strokes-iam.js';
import { parseStroke3Json } from '../src/wings/handwriting/strokes-stroke3.js';
import { loadStroke3File } from '../src/wings/handwriting/stroke-files.js';
import { readWord2vecText } from '../src/wings/word2vec/io.js';
import { KiokuError } from '../src/util/errors.js';
import { runCli } from './helpers/cli.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'kioku-bad-'));

/** `fn` throws a KiokuError whose message matches `re`. */
function refuses(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KiokuError, `expected a KiokuError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

const SMALL = { vocabSize: 3, cell: 'lstm' as const, hidden: 4, layers: 1, embed: 2, dropout: 0, seed: 0 };

function charCheckpoint(model: Record<string, unknown> | null): Uint8Array {
  return encodeCheckpoint({
    config: { kind: 'charlm', model, train: {} },
    model: new CharLM(SMALL).stateDict(),
    step: 1,
    extra: { vocab: ['a', 'b', 'c'] },
  });
}

const IAM = (x: string, entity = ''): string =>
  `<WhiteboardCaptureSession><StrokeSet><Stroke colour="${entity}"><Point x="${x}" y="2" time="0.1"/></Stroke></StrokeSet></WhiteboardCaptureSession>`;

test('defect 1: output folders under /proc and /sys are refused at once, never loop', async () => {
  refuses(
    () => makeDirs('/proc/kioku-no/such'),
    /^cannot write \/proc\/kioku-no\/such: cannot create folders in \/proc$/,
  );
  refuses(
    () => writeFileAtomic('/proc/kioku-x/model.safetensors', new Uint8Array(1)),
    /^cannot write \/proc\/kioku-x/,
  );
  const r = await runCli([
    'train',
    'char',
    '--data',
    'README.md',
    '--steps',
    '2',
    '--out',
    '/proc/kioku-foo',
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^kioku: cannot write \/proc\/kioku-foo: cannot create folders in \/proc/);
});

test('defect 2: a model config that does not match the stored weights is refused before allocating', () => {
  const dir = tmp();
  try {
    for (const [field, value] of [
      ['layers', 2147483648],
      ['hidden', 12000],
      ['vocabSize', 1e9],
    ] as const) {
      const p = join(dir, `${field}.safetensors`);
      writeFileSync(p, charCheckpoint({ ...SMALL, [field]: value }));
      const before = process.memoryUsage().rss;
      refuses(
        () => loadCharLM(p),
        field === 'layers'
          ? /config says layers = 2147483648, but the file stores only 7 tensors/
          : /the config describes a model of \d+ parameters, but the file stores \d+/,
      );
      assert.ok(process.memoryUsage().rss - before < 200e6, 'no large allocation');
    }
    const hw = new HandwritingModel({ cell: 'lstm', hiddenSize: 3, numLayers: 1, mixtures: 2 });
    const good = join(dir, 'hw.safetensors');
    saveHandwritingModel(good, hw, { meanX: 0, meanY: 0, stdX: 1, stdY: 1 });
    const { tensors, metadata } = loadSafetensors(good);
    const cfg = JSON.parse(metadata.config) as Record<string, unknown>;
    const bomb = join(dir, 'hw-bomb.safetensors');
    saveSafetensors(bomb, tensors, { ...metadata, config: JSON.stringify({ ...cfg, numLayers: 1e6 }) });
    refuses(
      () => loadHandwritingModel(bomb),
      /hw-bomb\.safetensors: config says numLayers = 1000000, but the file stores only \d+ tensors/,
    );
    saveSafetensors(bomb, tensors, { ...metadata, config: JSON.stringify({ ...cfg, hiddenSize: 12000 }) });
    refuses(
      () => loadHandwritingModel(bomb),
      /hw-bomb\.safetensors: the config describes a model of \d+ parameters/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('defect 3: endless files, devices, FIFOs and oversize files are refused before reading', async () => {
  refuses(
    () => readFileBounded('/dev/zero'),
    /^cannot read \/dev\/zero: it is a device, expected a regular file$/,
  );
  refuses(() => loadSafetensors('/dev/zero'), /^loadSafetensors: cannot read \/dev\/zero: it is a device/);
  const dir = tmp();
  try {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    refuses(() => readFileBounded(fifo), /it is a FIFO \(named pipe\), expected a regular file/);
    const r = await runCli(['train', 'char', '--config', fifo]);
    assert.match(r.stderr, /kioku: cannot read config file .*pipe: it is a FIFO/);
    const big = join(dir, 'big.txt');
    writeFileSync(big, 'x'.repeat(1000));
    refuses(() => readFileBounded(big, { maxBytes: 999 }), /it is 1000 bytes, over the limit of 999 bytes/);
    const p = await runCli(['sample', '--model', 'x', '--prime-file', '/dev/zero']);
    assert.match(p.stderr, /kioku: cannot read prime file \/dev\/zero: it is a device/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('defect 4: deeply nested JSON is refused with the file named, never a stack overflow', async () => {
  const deep = '['.repeat(200000) + ']'.repeat(200000);
  refuses(
    () => parseStroke3Json(deep, 'deep.json'),
    /^deep\.json: JSON nested deeper than 64 levels at line 1, column 65$/,
  );
  const dir = tmp();
  try {
    const cfg = join(dir, 'deep-config.json');
    writeFileSync(cfg, '{"a":' + deep + '}');
    const r = await runCli(['train', 'char', '--config', cfg]);
    assert.match(r.stderr, /kioku: config file .*deep-config\.json: JSON nested deeper than 64 levels/);
    const s3 = join(dir, 'deep-strokes.json');
    writeFileSync(s3, deep);
    refuses(() => loadStroke3File(s3), /deep-strokes\.json: JSON nested deeper than 64 levels/);
    const ck = join(dir, 'deep.safetensors');
    writeFileSync(ck, encodeSafetensors({}, { a: 'b' }));
    const bytes = encodeCheckpoint({ config: {}, model: {}, step: 0 });
    const { metadata } = decodeSafetensors(bytes);
    writeFileSync(ck, encodeSafetensors({}, { ...metadata, config: deep }));
    refuses(
      () => loadCheckpoint(ck),
      /deep\.safetensors: metadata 'config': JSON nested deeper than 64 levels/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('defect 5: JavaScript internals become messages (code points, typed array lengths, null config)', () => {
  refuses(
    () => parseLineStrokes(IAM('1', '&#1114112;'), 'a.xml'),
    /^a\.xml: line 1: malformed XML: character reference &#1114112; is not a Unicode character/,
  );
  refuses(
    () => parseLineStrokes(IAM('1e39'), 'b.xml'),
    /^b\.xml: line 1: <Point> 1 of <Stroke> 1: attribute x: value 1e\+39 is outside the float32 range/,
  );
  const dir = tmp();
  try {
    const w2v = join(dir, 'vec.txt');
    writeFileSync(w2v, '1 5000000000\nthe 0.1\n');
    refuses(
      () => readWord2vecText(w2v),
      /vec\.txt: header says 1 words × 5000000000 dimensions, more numbers than the file/,
    );
    const nul = join(dir, 'null.safetensors');
    writeFileSync(nul, charCheckpoint(null));
    refuses(
      () => loadCharLM(nul),
      /null\.safetensors: the checkpoint's config\.model must be an object, got null/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('defect 6: values outside float32 and non-decimal numbers are refused by the reader', async () => {
  refuses(
    () => parseStroke3Json('[[1e39, 0, 0]]', 's.json'),
    /^s\.json: drawing 0: row 0: dx: value 1e\+39 is outside the float32 range/,
  );
  refuses(
    () => parseLineStrokes(IAM('0x10'), 'h.xml'),
    /^h\.xml: line 1: .*attribute x: "0x10" is not a decimal number$/,
  );
  refuses(() => parseLineStrokes(IAM('0o17'), 'o.xml'), /"0o17" is not a decimal number/);
  refuses(() => parseLineStrokes(IAM('Infinity'), 'i.xml'), /"Infinity" is not a decimal number/);
  const dir = tmp();
  try {
    const w2v = join(dir, 'v.txt');
    writeFileSync(w2v, '1 2\nthe 0.1 -1e39\n');
    refuses(
      () => readWord2vecText(w2v),
      /v\.txt: line 2, number 2: value -1e\+39 is outside the float32 range/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('defect 7: handwriting hairs --at refuses bad point lists with a message', async () => {
  const dir = tmp();
  try {
    const line = join(dir, 'line.json');
    writeFileSync(
      line,
      JSON.stringify([
        [1, 0, 0],
        [1, 1, 0],
        [0, 1, 1],
      ]),
    );
    // A point past the end of this line is an error of the run (exit 1); a malformed list is a
    // usage error (exit 2), refused by the option schema before anything is read.
    for (const [at, code, re] of [
      ['99999', 1, /--at: point 99999 is past the end of the line \(3 points: 0 to 2\)/],
      ['-1', 2, /--at <points>' argument '-1' is invalid\. expected an integer ≥ 0, got -1/],
      ['abc', 2, /got "abc"/],
      ['1,,2', 2, /got "1,,2"/],
      ['', 2, /got ""/],
    ] as const) {
      const r = await runCli([
        'handwriting',
        'hairs',
        '--model',
        'lstm',
        '--line',
        line,
        '--at',
        at,
        '--out',
        join(dir, 'h'),
      ]);
      assert.equal(r.code, code, at);
      assert.match(r.stderr, re);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('defect 8: one plain "cannot write <path>: <reason>" message; temp files cleaned', async () => {
  const dir = tmp();
  try {
    const adir = join(dir, 'adir');
    mkdirSync(adir);
    refuses(() => writeFileAtomic(adir, new Uint8Array(3)), /^cannot write .*adir: it is a folder$/);
    assert.deepEqual(readdirSync(dir), ['adir'], 'no temp file left behind');
    for (const [code, reason] of [
      ['EROFS', 'the file system is read-only'],
      ['ENOSPC', 'no space left on the device'],
      ['EACCES', 'permission denied'],
    ] as const) {
      const err = Object.assign(new Error(`${code}: raw`), { code });
      assert.equal(cannotWrite('out/loss.png', err).message, `cannot write out/loss.png: ${reason}`);
    }
    const stale = join(dir, '.model.safetensors.999999999.0.tmp');
    writeFileSync(stale, 'half');
    const live = join(dir, `.model.safetensors.${process.pid}.7.tmp`);
    writeFileSync(live, 'mine');
    assert.deepEqual(removeStaleTemps(dir), ['.model.safetensors.999999999.0.tmp']);
    assert.ok(!existsSync(stale) && existsSync(live));
    const r = await runCli(['sample', '--model', 'x', '--prime-file', dir]);
    assert.match(r.stderr, /kioku: cannot read prime file .*: it is a folder, expected a file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('defect 9: pruning never follows a symlinked checkpoints folder or symlinked files', () => {
  const dir = tmp();
  try {
    const user = join(dir, 'user-files');
    mkdirSync(user);
    for (const n of [
      'step-000001-val-1.safetensors',
      'step-000002-val-1.safetensors',
      'step-000003-val-1.safetensors',
    ])
      writeFileSync(join(user, n), 'precious');
    const link = join(dir, 'checkpoints');
    symlinkSync(user, link);
    assert.deepEqual(pruneFiles(link, /^step-\d+-val-.*\.safetensors$/, 1), []);
    assert.equal(readdirSync(user).length, 3);
    const real = join(dir, 'real');
    mkdirSync(real);
    symlinkSync(join(user, 'step-000001-val-1.safetensors'), join(real, 'step-000000-val-1.safetensors'));
    writeFileSync(join(real, 'step-000005-val-1.safetensors'), 'x');
    writeFileSync(join(real, 'step-000006-val-1.safetensors'), 'x');
    assert.deepEqual(pruneFiles(real, /^step-\d+-val-.*\.safetensors$/, 1), [
      'step-000005-val-1.safetensors',
    ]);
    assert.equal(readFileSync(join(user, 'step-000001-val-1.safetensors'), 'utf8'), 'precious');
    // The run directory's store (what the Trainer prunes through) keeps the same rule.
    const run = join(dir, 'run');
    mkdirSync(run);
    symlinkSync(user, join(run, 'checkpoints'));
    const store = new RunDir(run);
    assert.deepEqual(store.listCheckpoints(), []);
    store.removeCheckpoint('step-000002-val-1.safetensors');
    assert.equal(readdirSync(user).length, 3, "the user's files are all still there");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("defect 10: kioku's own files carry a checksum; one flipped bit is refused", () => {
  const dir = tmp();
  try {
    const p = join(dir, 'ck.safetensors');
    saveCheckpoint(p, { config: {}, model: { w: Tensor.fromArray([1, 2, 3, 4], [4]) }, step: 3 });
    const bytes = readFileSync(p);
    bytes[bytes.length - 2] ^= 0x04;
    writeFileSync(p, bytes);
    refuses(
      () => loadCheckpoint(p),
      /ck\.safetensors: checksum mismatch: the header says crc32:[0-9a-f]{8}, the data has crc32:[0-9a-f]{8}/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('defect 11: empty --models, --values with --input, --beam with --temperature, BOM in --config, exit code 2', async () => {
  const compare = await runCli(['handwriting', 'compare', '--models', '']);
  assert.equal(compare.code, 2, 'a malformed list is a usage error');
  assert.match(compare.stderr, /--models <list>' argument '' is invalid\. expected a comma-separated list, got ""/);
  const dir = tmp();
  try {
    const cfg = join(dir, 'bom.json');
    writeFileSync(cfg, '\ufeff{"steps": 2, "data": "' + join(dir, 'none.txt') + '"}');
    const bom = await runCli(['train', 'char', '--config', cfg]);
    assert.match(bom.stderr, /none\.txt: no such file/, 'the BOM is skipped as for data files');
    const beam = await runCli([
      'sample',
      '--model',
      join(dir, 'none'),
      '--beam',
      '3',
      '--temperature',
      '0.5',
    ]);
    assert.match(beam.stderr, /--beam .* ignores --temperature/);
    const input = join(dir, 'in.txt');
    writeFileSync(input, '1 2 3');
    const fc = await runCli([
      'forecast',
      'predict',
      '--model',
      join(dir, 'none'),
      '--values',
      '1,2',
      '--input',
      input,
    ]);
    assert.match(fc.stderr, /kioku: give --values or --input, not both/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const usage = await runCli(['sample', '--no-such-flag']);
  assert.equal(usage.code, 2);
  assert.equal((await runCli(['--version'])).code, 0);
});

/** Mount a tiny tmpfs (root in a container that allows it); undefined where not possible. */
function tinyTmpfs(): string | undefined {
  const dir = tmp();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}

test('defect 8 on real file systems: a full disk and a read-only one (where tmpfs can be mounted)', (t) => {
  const dir = tinyTmpfs();
  if (!dir) {
    t.skip('cannot mount a tmpfs here');
    return;
  }
  try {
    refuses(
      () => writeFileAtomic(join(dir, 'loss.png'), new Uint8Array(1 << 20)),
      /^cannot write .*loss\.png: no space left on the device$/,
    );
    assert.deepEqual(readdirSync(dir), [], 'no temp file left behind');
    execFileSync('mount', ['-o', 'remount,ro', dir]);
    refuses(
      () => writeFileAtomic(join(dir, 'x.bin'), new Uint8Array(3)),
      /^cannot write .*x\.bin: the file system is read-only$/,
    );
    refuses(() => makeDirs(join(dir, 'sub', 'deeper')), /: the file system is read-only$/);
  } finally {
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

// Stroke data: the IAM-OnDB lineStrokes reader (on files the test writes), stroke-3 import and
// export, offsets and preprocessing, the Hershey fonts and the built-in data generator.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { builtinHersheyFont, builtinHersheyFontNames, parseJhf } from '../src/wings/handwriting/hershey.js';
import { HERSHEY_ACKNOWLEDGEMENT } from '../src/wings/handwriting/hershey-fonts.js';
import { generateHandwritingDataset, randomWriterStyle, writeLine } from '../src/wings/handwriting/hershey-writer.js';
import {
  computeOffsetStats,
  denormalizeOffsets,
  drawingToOffsets,
  dropOutliers,
  normalizeOffsets,
  offsetsToDrawing,
  smoothDrawing,
} from '../src/wings/handwriting/strokes.js';
import {
  iamFormId,
  loadLineStrokesFile,
  loadLineStrokesFolder,
  parseLineStrokes,
} from '../src/wings/handwriting/strokes-iam.js';
import { loadStroke3File, parseStroke3Json, toStroke3, toStroke3Json } from '../src/wings/handwriting/strokes-stroke3.js';
import { loadStrokeData, makeBatch } from '../src/wings/handwriting/data.js';
import { Rng } from '../src/util/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'kioku-hw-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const GOOD = `<?xml version="1.0" encoding="ISO-8859-1"?>
<WhiteboardCaptureSession>
  <WhiteboardDescription>
    <SensorLocation corner="top_left"/>
    <DiagonallyOppositeCoords x="6512" y="1376"/>
  </WhiteboardDescription>
  <!-- a comment -->
  <StrokeSet>
    <Stroke colour="black" start_time="769.05" end_time="769.64">
      <Point x="1073" y="1058" time="769.05"/>
      <Point x="1072" y="1085" time="769.07"/>
      <Point x="1074" y="1110" time="769.08"/>
    </Stroke>
    <Stroke colour="black" start_time="770.0" end_time="770.2">
      <Point x='1200' y='1050' time="770.0"/>
      <Point x="1210" y="1040" />
    </Stroke>
  </StrokeSet>
</WhiteboardCaptureSession>
`;

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('IAM-OnDB lineStrokes reader', () => {
  test('reads strokes, points and times (y down) and converts to offsets', () => {
    const f = write('a01-000u-01.xml', GOOD);
    const d = loadLineStrokesFile(f);
    assert.equal(d.id, 'a01-000u-01');
    assert.equal(d.strokes.length, 2);
    assert.deepEqual(d.strokes[0][1], { x: 1072, y: 1085, t: 769.07 });
    assert.deepEqual(d.strokes[1][1], { x: 1210, y: 1040 });
    const seq = drawingToOffsets(d);
    assert.equal(seq.length, 5);
    assert.deepEqual(Array.from(seq.data), [0, 0, 0, -1, 27, 0, 2, 25, 1, 126, -60, 0, 10, -10, 1]);
    const back = offsetsToDrawing(seq, { x: 1073, y: 1058 });
    assert.deepEqual(
      back.strokes.map((s) => s.map((p) => [p.x, p.y])),
      d.strokes.map((s) => s.map((p) => [p.x, p.y])),
    );
    assert.equal(iamFormId('a01-000u-01'), 'a01-000u');
  });

  const bad: [string, string, RegExp][] = [
    [
      'unclosed element',
      GOOD.replace('</StrokeSet>', ''),
      /bad1\.xml: line \d+: malformed XML: expected <\/StrokeSet> \(opened at line 8\), found <\/WhiteboardCaptureSession>/,
    ],
    [
      'truncated file',
      GOOD.slice(0, GOOD.indexOf('<Point x="1074"')),
      /bad2\.xml: line \d+: malformed XML: end of file inside <Stroke> \(opened at line 9\)/,
    ],
    [
      'unterminated attribute',
      GOOD.replace('x="1072"', 'x="1072 y="1085"/>'),
      /bad3\.xml: line 1[01]: malformed XML/,
    ],
    [
      'missing attribute',
      GOOD.replace('<Point x="1072" y="1085" time="769.07"/>', '<Point x="1072" time="769.07"/>'),
      /bad4\.xml: line 11: <Point> 2 of <Stroke> 1 is missing attribute "y"/,
    ],
    [
      'non-numeric attribute',
      GOOD.replace('y="1110"', 'y="11o"'),
      /bad5\.xml: line 12: <Point> 3 of <Stroke> 1: attribute y: "11o" is not a decimal number/,
    ],
    [
      'empty stroke',
      GOOD.replace(
        /<Stroke colour="black" start_time="770.0"[\s\S]*?<\/Stroke>/,
        '<Stroke colour="black"></Stroke>',
      ),
      /bad6\.xml: line 14: <Stroke> 2 is empty \(no <Point> elements\)/,
    ],
    [
      'no StrokeSet',
      '<WhiteboardCaptureSession><WhiteboardDescription/></WhiteboardCaptureSession>',
      /bad7\.xml: no <StrokeSet> element/,
    ],
    [
      'wrong root',
      '<svg><StrokeSet/></svg>',
      /bad8\.xml: line 1: expected root element <WhiteboardCaptureSession>, got <svg>/,
    ],
    ['not XML at all', 'hello', /bad9\.xml: line 1: malformed XML: text outside the root element/],
  ];
  bad.forEach(([name, text, re], i) => {
    test(`clear error: ${name}`, () => {
      const f = write(`bad${i + 1}.xml`, text);
      assert.throws(
        () => loadLineStrokesFile(f),
        (e: Error) => {
          assert.match(e.message, re);
          assert.ok(e.message.includes(f), `message names the file: ${e.message}`);
          return e.name === 'KiokuError';
        },
      );
    });
  });

  test('loads a folder recursively, sorted; refuses a missing folder', () => {
    const root = join(dir, 'lineStrokes');
    mkdirSync(join(root, 'a01', 'a01-000'), { recursive: true });
    mkdirSync(join(root, 'b02', 'b02-001'), { recursive: true });
    writeFileSync(join(root, 'b02', 'b02-001', 'b02-001z-02.xml'), GOOD);
    writeFileSync(join(root, 'a01', 'a01-000', 'a01-000u-01.xml'), GOOD);
    writeFileSync(join(root, 'a01', 'README.txt'), 'not a line');
    const lines = loadLineStrokesFolder(root);
    assert.deepEqual(
      lines.map((l) => l.id),
      ['a01-000u-01', 'b02-001z-02'],
    );
    assert.throws(() => loadLineStrokesFolder(join(dir, 'nope')), /lineStrokes folder .*nope does not exist/);
    const data = loadStrokeData({ source: 'iam', path: root, validFraction: 0 });
    assert.equal(data.train.length, 2);
    assert.equal(data.valid.length, 0);
  });

  test('entities, CDATA, DOCTYPE and attributes in single quotes are read', () => {
    const d = parseLineStrokes(
      `<!DOCTYPE x><WhiteboardCaptureSession note="a &amp; b"><![CDATA[ <ignored> ]]><StrokeSet><Stroke><Point x='&#49;' y="2"/></Stroke></StrokeSet></WhiteboardCaptureSession>`,
      'inline.xml',
    );
    assert.deepEqual(d.strokes, [[{ x: 1, y: 2 }]]);
  });
});

describe('stroke-3 (sketch-rnn) import and export', () => {
  test('round trip with ids and texts; the accepted JSON shapes', () => {
    const seq = drawingToOffsets({
      id: 'x',
      text: 'hi',
      strokes: [
        [
          { x: 0, y: 0 },
          { x: 1.5, y: 2 },
        ],
        [{ x: 4, y: 4 }],
      ],
    });
    assert.deepEqual(toStroke3(seq), [
      [0, 0, 0],
      [1.5, 2, 1],
      [2.5, 2, 1],
    ]);
    const f = write('s3.json', toStroke3Json([seq, seq]));
    const back = loadStroke3File(f);
    assert.equal(back.length, 2);
    assert.equal(back[1].text, 'hi');
    assert.deepEqual(Array.from(back[0].data), Array.from(seq.data));
    assert.equal(parseStroke3Json('[[1,2,0],[3,4,1]]')[0].length, 2); // one drawing
    assert.equal(parseStroke3Json('[[[1,2,0]],[[3,4,1]]]').length, 2); // several
  });

  test('clear errors', () => {
    assert.throws(() => parseStroke3Json('{', 'f.json'), /f\.json: not valid JSON/);
    assert.throws(
      () => parseStroke3Json('[[[1,2]]]', 'f.json'),
      /f\.json: drawing 0: row 0 must be \[dx, dy, p\] of 3 finite numbers, got \[1,2\]/,
    );
    assert.throws(() => parseStroke3Json('[[[1,2,0.5]]]', 'f.json'), /row 0: p must be 0 or 1, got 0.5/);
    assert.throws(() => parseStroke3Json('{"a":1}', 'f.json'), /expected an array of drawings/);
    assert.throws(() => loadStroke3File(join(dir, 'missing.json')), /cannot read .*missing\.json/);
  });
});

describe('preprocessing', () => {
  test('normalisation: mean 0 and std 1 over the training set, and back', () => {
    const rng = new Rng(1);
    const seqs = [0, 1, 2].map(() => {
      const strokes = [
        Array.from({ length: 20 }, (_, i) => ({ x: i * 2 + rng.normal(), y: rng.normal() * 3 })),
      ];
      return drawingToOffsets({ strokes });
    });
    const st = computeOffsetStats(seqs);
    const z = seqs.map((s) => normalizeOffsets(s, st));
    const zs = computeOffsetStats(z);
    console.log(
      `  normalised: mean (${zs.meanX.toExponential(1)}, ${zs.meanY.toExponential(1)}), std (${zs.stdX.toFixed(6)}, ${zs.stdY.toFixed(6)})`,
    );
    assert.ok(Math.abs(zs.meanX) < 1e-6 && Math.abs(zs.meanY) < 1e-6);
    assert.ok(Math.abs(zs.stdX - 1) < 1e-5 && Math.abs(zs.stdY - 1) < 1e-5);
    const back = denormalizeOffsets(z[1], st);
    for (let i = 0; i < back.data.length; i++) assert.ok(Math.abs(back.data[i] - seqs[1].data[i]) < 1e-4);
  });

  test('outliers: a spike is dropped, a far pen-up jump shortened', () => {
    const s1 = Array.from({ length: 10 }, (_, i) => ({ x: i, y: 0 }));
    s1[5] = { x: 5, y: 500 }; // digitiser spike
    const s2 = [
      { x: 1000, y: 0 },
      { x: 1001, y: 0 },
    ];
    const r = dropOutliers({ strokes: [s1, s2] }, { maxJump: 20 });
    assert.equal(r.dropped, 1);
    assert.equal(r.shortened, 1);
    assert.equal(r.drawing.strokes[0].length, 9);
    const a = r.drawing.strokes[0].at(-1)!;
    const b = r.drawing.strokes[1][0];
    assert.ok(Math.abs(Math.hypot(b.x - a.x, b.y - a.y) - 20) < 1e-9);
  });

  test('Savitzky–Golay smoothing keeps lines straight and endpoints fixed, reduces jitter', () => {
    const line = Array.from({ length: 30 }, (_, i) => ({ x: i, y: 2 * i }));
    const sm = smoothDrawing({ strokes: [line] }, 7).strokes[0];
    for (let i = 0; i < 30; i++) assert.ok(Math.abs(sm[i].x - i) < 1e-9 && Math.abs(sm[i].y - 2 * i) < 1e-9);
    const rng = new Rng(2);
    const noisy = line.map((p) => ({ x: p.x, y: p.y + rng.normal() }));
    const s2 = smoothDrawing({ strokes: [noisy] }, 7).strokes[0];
    const err = (ps: { x: number; y: number }[]): number => ps.reduce((a, p, i) => a + (p.y - 2 * i) ** 2, 0);
    console.log(`  squared error before ${err(noisy).toFixed(2)}, after ${err(s2).toFixed(2)}`);
    assert.ok(err(s2) < 0.75 * err(noisy));
    assert.throws(() => smoothDrawing({ strokes: [line] }, 4), /odd integer/);
  });

  test('padded batches: targets are the next rows, masks cover the real steps', () => {
    const a = { data: Float32Array.from([0, 0, 0, 1, 1, 0, 2, 2, 1]), length: 3 };
    const b = { data: Float32Array.from([0, 0, 0, 5, 5, 1]), length: 2 };
    const batch = makeBatch([a, b], [0, 1], 0, null);
    assert.deepEqual(batch.x.shape, [2, 2, 3]);
    assert.deepEqual(batch.lengths, [2, 1]);
    assert.deepEqual(Array.from(batch.mask), [1, 1, 1, 0]);
    assert.deepEqual(Array.from(batch.y.data.subarray(0, 6)), [1, 1, 0, 5, 5, 1]);
    assert.deepEqual(Array.from(batch.y.data.subarray(6, 9)), [2, 2, 1]);
    const crop = makeBatch([a], [0], 1, new Rng(1));
    assert.equal(crop.lengths[0], 1);
  });
});

describe('Hershey fonts and the built-in handwriting data', () => {
  test('built-in script faces parse to ASCII glyphs; the acknowledgement travels with them', () => {
    assert.deepEqual(builtinHersheyFontNames(), ['scripts', 'cursive', 'scriptc']);
    for (const name of builtinHersheyFontNames()) {
      const f = builtinHersheyFont(name);
      assert.equal(f.glyphs.size, 95);
      const a = f.glyphs.get('a')!;
      assert.ok(a.strokes.length >= 1 && a.right > a.left);
    }
    assert.match(HERSHEY_ACKNOWLEDGEMENT, /Dr\. A\. V\. Hershey.*National Bureau of Standards.*James Hurt/);
    assert.equal(
      generateHandwritingDataset({ trainWriters: 1, validWriters: 0, linesPerWriter: 1 }).acknowledgement,
      HERSHEY_ACKNOWLEDGEMENT,
    );
    // Hurt's format: number, count, margins, pen-up " R".
    const g = parseJhf(['    1  6JZRFRT RNNVN'], 'tiny').glyphs.get(' ')!;
    assert.deepEqual(g, {
      left: -8,
      right: 8,
      strokes: [
        [
          [0, -12],
          [0, 2],
        ],
        [
          [-4, -4],
          [4, -4],
        ],
      ],
    });
    assert.throws(() => parseJhf(['    1  xJZ'], 'bad.jhf'), /bad\.jhf: line 1: expected a vertex count/);
  });

  test('the generator is deterministic under a seed, and seeds differ', () => {
    const opts = { seed: 7, trainWriters: 3, validWriters: 1, linesPerWriter: 2 };
    const a = generateHandwritingDataset(opts);
    const b = generateHandwritingDataset(opts);
    const c = generateHandwritingDataset({ ...opts, seed: 8 });
    assert.equal(a.train.length, 6);
    assert.equal(a.valid.length, 2);
    assert.deepEqual(
      a.train.map((d) => d.id),
      ['w000-00', 'w000-01', 'w001-00', 'w001-01', 'w002-00', 'w002-01'],
    );
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.train[0].strokes, c.train[0].strokes);
    // Validation writers are not training writers.
    assert.ok(a.valid.every((d) => d.id!.startsWith('w003')));
    const pts = a.train.map((d) => d.strokes.reduce((n, s) => n + s.length, 0));
    console.log(`  points per line: ${pts.join(', ')}`);
    assert.ok(pts.every((n) => n > 20));
  });

  test('writer styles change the writing: slant shears, connections join letters', () => {
    const base = randomWriterStyle(new Rng(5));
    const upright = { ...base, slant: 0, jitterAmp: 0, baselineAmp: 0, baselineTilt: 0, connectProb: 0 };
    const slanted = { ...upright, slant: 0.5 };
    const joined = { ...upright, connectProb: 1 };
    const w = (s: typeof base, text = 'mum'): ReturnType<typeof writeLine> => writeLine(text, s, new Rng(9));
    const lean = (d: ReturnType<typeof writeLine>): number => {
      // x of the highest point minus x of the lowest (y down): grows when letters lean right
      let hi = { x: 0, y: Infinity };
      let lo = { x: 0, y: -Infinity };
      for (const s of d.strokes)
        for (const p of s) {
          if (p.y < hi.y) hi = p;
          if (p.y > lo.y) lo = p;
        }
      return hi.x - lo.x;
    };
    console.log(
      `  lean of 'l': upright ${lean(w(upright, 'l')).toFixed(2)}, slanted ${lean(w(slanted, 'l')).toFixed(2)}`,
    );
    assert.ok(lean(w(slanted, 'l')) > lean(w(upright, 'l')) + 5);
    assert.ok(w(joined).strokes.length < w(upright).strokes.length, 'joined letters make fewer strokes');
  });

  test('loadStrokeData(builtin) normalises with training statistics', () => {
    const data = loadStrokeData({
      source: 'builtin',
      builtin: { trainWriters: 4, validWriters: 2, linesPerWriter: 2 },
    });
    assert.equal(data.train.length, 8);
    assert.equal(data.valid.length, 4);
    const st = computeOffsetStats(data.train);
    assert.ok(Math.abs(st.meanX) < 1e-5 && Math.abs(st.stdX - 1) < 1e-4);
    assert.match(data.description, /built-in Hershey handwriting/);
  });
});

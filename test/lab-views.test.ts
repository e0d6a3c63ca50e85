// The pad's and generation explorer's engine parts in Node (issue #14): PadSession reads a
// line point by point and must predict exactly what the whole-line forward pass predicts;
// the pad's IAM XML reads back; nextCharsAlong agrees with scoreContinuation.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import '../src/index.node.js';
import { loadCharLM } from '../src/wings/charlm/io.js';
import { nextCharsAlong, scoreContinuation } from '../src/wings/charlm/generate.js';
import { predictAlongLine } from '../src/wings/handwriting/density.js';
import { loadHandwritingModel } from '../src/wings/handwriting/io.js';
import { PadSession } from '../src/wings/handwriting/pad.js';
import { drawingToOffsets, type Drawing } from '../src/wings/handwriting/strokes.js';
import { parseLineStrokes, toLineStrokesXml } from '../src/wings/handwriting/strokes-iam.js';

const drawing: Drawing = {
  id: 'kioku-pad001-01',
  strokes: [
    Array.from({ length: 14 }, (_, k) => ({ x: 3 * k, y: 8 * Math.sin(k / 2), t: k * 0.01 })),
    Array.from({ length: 6 }, (_, k) => ({ x: 50 + 2 * k, y: -4 + 3 * k })),
  ],
};

describe('PadSession (the pad in the worker)', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    it(`${cell}: point-by-point predictions equal the whole-line forward pass`, () => {
      const loaded = loadHandwritingModel(`models/handwriting/${cell}.safetensors`);
      const line = drawingToOffsets(drawing);
      const want = predictAlongLine(loaded.model, loaded.stats, line);
      const pad = new PadSession(loaded);
      let diff = 0;
      for (let t = 0; t + 1 < line.length; t++) {
        const d = line.data;
        // Feed each point first as "pen down", then re-read it with its true eos (as the pad does on pointerup).
        pad.step(d[t * 3], d[t * 3 + 1], 0);
        const r = pad.step(d[t * 3], d[t * 3 + 1], d[t * 3 + 2], { replaceLast: true });
        const w = want.mixtures[t];
        diff = Math.max(diff, Math.abs(r.mixture.e - w.e));
        for (let j = 0; j < w.M; j++)
          diff = Math.max(
            diff,
            Math.abs(r.mixture.pi[j] - w.pi[j]),
            Math.abs(r.mixture.mu1[j] - w.mu1[j]),
            Math.abs(r.mixture.sigma2[j] - w.sigma2[j]),
            Math.abs(r.mixture.rho[j] - w.rho[j]),
          );
      }
      console.log(
        `${cell}: PadSession vs predictAlongLine over ${line.length - 1} points: max abs diff ${diff.toExponential(2)}`,
      );
      assert.ok(diff < 1e-5);
      assert.equal(pad.length, line.length - 1);
      const hairs = pad.hairs({ count: 7, length: 5, seed: 3 });
      assert.equal(hairs.length, 7);
      assert.ok(hairs.every((h) => h.length === 5 && h.data.every(Number.isFinite)));
      assert.deepEqual(
        pad.hairs({ count: 7, length: 5, seed: 3 })[2].data,
        hairs[2].data,
        'seeded hairs repeat',
      );
      pad.reset();
      assert.throws(() => pad.hairs(), /no point read yet/);
      assert.throws(() => pad.step(1, 1, 0, { replaceLast: true }), /replaceLast before any point/);
    });
  }
});

describe("the pad's IAM lineStrokes XML", () => {
  it('reads back with parseLineStrokes (what `kioku handwriting train --data iam` uses)', () => {
    const back = parseLineStrokes(toLineStrokesXml(drawing), '/tmp/kioku-pad001-01.xml');
    assert.equal(back.id, 'kioku-pad001-01');
    assert.equal(back.strokes.length, 2);
    let diff = 0;
    back.strokes.forEach((s, k) =>
      s.forEach(
        (p, i) =>
          (diff = Math.max(
            diff,
            Math.abs(p.x - drawing.strokes[k][i].x),
            Math.abs(p.y - drawing.strokes[k][i].y),
          )),
      ),
    );
    assert.ok(diff <= 0.005, `coordinates kept to 2 decimals (max abs diff ${diff})`);
    assert.equal(back.strokes[0][3].t, 0.03);
  });
});

describe('nextCharsAlong (the generation explorer)', () => {
  it("gives scoreContinuation's log-probability and proper top-k distributions", () => {
    const { model, vocab } = loadCharLM('models/lab/char-lstm');
    const r = nextCharsAlong(model, vocab, 'function ', 'f(a) {', 5);
    const lp = scoreContinuation(model, vocab, 'function ', 'f(a) {');
    console.log(`nextCharsAlong log p ${r.logProb.toFixed(6)} vs scoreContinuation ${lp.toFixed(6)}`);
    assert.ok(Math.abs(r.logProb - lp) < 1e-9);
    assert.equal(r.steps.length, 7);
    for (const s of r.steps) {
      assert.equal(s.chars.length, 5);
      assert.ok(
        s.probs.every((p, i) => i === 0 || p <= s.probs[i - 1]),
        'most probable first',
      );
    }
    assert.throws(() => nextCharsAlong(model, vocab, 'x', 'y', 0), /k/);
  });
});

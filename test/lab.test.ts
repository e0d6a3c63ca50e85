// The lab's Node-side pieces: per-step recording in the recurrent layers, the explorer's
// select / match / saturation analyses, structure signals, the shipped model, the server.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { request } from 'node:http';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../src/index.node.js';
import { GRU, LSTM, Tensor } from '../src/index.js';
import { loadCharLM } from '../src/wings/charlm/io.js';
import { charLMFromBytes } from '../src/wings/charlm/codec.js';
import {
  gateSaturation,
  matchSelection,
  selectUnits,
  traceText,
  unitCorrelation,
} from '../src/wings/lab/cells.js';
import { structureSignals } from '../src/wings/lab/signals.js';
import { ISOLATION_HEADERS, startLabServer } from '../src/node/lab-server.js';
import { runCompareExperiment, planCompare } from '../src/wings/experiments/compare-run.js';
import { hiddenGradNorms } from '../src/wings/experiments/grad-through-time.js';
import { Rng } from '../src/util/rng.js';
import { runCli } from './helpers/cli.js';

const sig = (v: number): number => 1 / (1 + Math.exp(-v));

function randn(rng: Rng, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = rng.normal();
  return out;
}

describe('recordedSteps', () => {
  it('LSTM: gates, c_t and h_t equal the equations recomputed in float64', () => {
    const [T, B, I, H] = [5, 2, 3, 4];
    const lstm = new LSTM({ inputSize: I, hiddenSize: H, dtype: 'float64', seed: 3 });
    const x = new Tensor(randn(new Rng(1), T * B * I), [T, B, I]);
    const { output } = lstm.forward(x);
    const rec = lstm.recordedSteps();
    const w = lstm.directionWeights(0);
    const Wih = w.wih.value.data;
    const Whh = w.whh.value.data;
    const b = (r: number): number => w.bih.value.data[r] + w.bhh.value.data[r];
    let maxDiff = 0;
    for (let bb = 0; bb < B; bb++) {
      const h = new Float64Array(H);
      const c = new Float64Array(H);
      for (let t = 0; t < T; t++) {
        const a = new Float64Array(4 * H);
        for (let r = 0; r < 4 * H; r++) {
          let s = b(r);
          for (let k = 0; k < I; k++) s += Wih[r * I + k] * x.data[(t * B + bb) * I + k];
          for (let k = 0; k < H; k++) s += Whh[r * H + k] * h[k];
          a[r] = s;
        }
        for (let j = 0; j < H; j++) {
          const [ig, fg, gg, og] = [sig(a[j]), sig(a[H + j]), Math.tanh(a[2 * H + j]), sig(a[3 * H + j])];
          c[j] = fg * c[j] + ig * gg;
          h[j] = og * Math.tanh(c[j]);
          const g0 = (t * B + bb) * 4 * H;
          const s0 = (t * B + bb) * H;
          for (const [got, want] of [
            [rec.gates[g0 + j], ig],
            [rec.gates[g0 + H + j], fg],
            [rec.gates[g0 + 2 * H + j], gg],
            [rec.gates[g0 + 3 * H + j], og],
            [rec.c![s0 + j], c[j]],
            [rec.h[s0 + j], h[j]],
            [rec.h[s0 + j], output.data[s0 + j]],
          ])
            maxDiff = Math.max(maxDiff, Math.abs(got - want));
        }
      }
    }
    console.log(`recordedSteps LSTM vs float64 equations: max abs diff ${maxDiff.toExponential(2)}`);
    assert.ok(maxDiff < 1e-6, `max diff ${maxDiff}`);
  });

  it('GRU: h_t equals the output, gates are in (0, 1) / (−1, 1), no cell state', () => {
    const gru = new GRU({ inputSize: 2, hiddenSize: 3, seed: 1 });
    const x = new Tensor(Float32Array.from(randn(new Rng(2), 4 * 1 * 2)), [4, 1, 2]);
    const { output } = gru.forward(x);
    const rec = gru.recordedSteps();
    assert.equal(rec.c, null);
    assert.deepEqual(Array.from(rec.h), Array.from(output.data));
    for (let t = 0; t < 4; t++) {
      for (let j = 0; j < 6; j++) {
        const v = rec.gates[t * 9 + j];
        assert.ok(v > 0 && v < 1, `r/z gate ${v}`);
      }
    }
  });

  it('refuses a call before forward and an absent layer', () => {
    const lstm = new LSTM({ inputSize: 1, hiddenSize: 2 });
    assert.throws(() => lstm.recordedSteps(), /call forward first/);
    lstm.forward(Tensor.zeros([2, 1, 1]));
    assert.throws(() => lstm.recordedSteps(1), /no layer 1 direction 0 \(have 1 layer/);
  });
});

describe('cell explorer analyses', () => {
  // A constructed case: unit 2 is on exactly over [3, 6), unit 0 is on there and elsewhere,
  // unit 1 is never on.
  const T = 10;
  const H = 3;
  const v = new Float32Array(T * H);
  for (let t = 0; t < T; t++) {
    v[t * H + 0] = t >= 2 ? 0.9 : 0.1;
    v[t * H + 1] = 0.2;
    v[t * H + 2] = t >= 3 && t < 6 ? 0.8 : -0.5;
  }

  it('selectUnits ranks the unit that is on inside and off outside first', () => {
    const { units } = selectUnits(v, T, H, { start: 3, end: 6, threshold: 0.5 });
    assert.deepEqual(
      units.map((u) => u.unit),
      [2, 0],
    );
    assert.equal(units[0].offOutside, 1);
    assert.ok(Math.abs(units[1].offOutside - 2 / 7) < 1e-9);
    assert.throws(() => selectUnits(v, T, H, { start: 5, end: 5, threshold: 0.5 }), /0 ≤ start < end ≤ 10/);
  });

  it('matchSelection finds the runs where the units fire together, best first', () => {
    const w = new Float32Array(20 * 2);
    // Units 0 and 1 both on over [2, 5) and [12, 15); only unit 0 on over [8, 10).
    for (const [a, b2] of [
      [2, 5],
      [12, 15],
    ])
      for (let t = a; t < b2; t++) w[t * 2] = w[t * 2 + 1] = 1;
    for (let t = 8; t < 10; t++) w[t * 2] = 1;
    const m = matchSelection(w, 20, 2, [0, 1], 0.5, 3, { minShare: 0.5 });
    assert.deepEqual(
      m.map((x) => [x.start, x.end, x.unitsOn]),
      [
        [2, 5, 2],
        [12, 15, 2],
        [8, 10, 1],
      ],
    );
    assert.throws(() => matchSelection(w, 20, 2, [5], 0.5, 3), /unit 5 outside \[0, 2\)/);
  });

  it('structure signals: quotes, depth, line position, comments', () => {
    const s = structureSignals(Array.from('f("a", [b]) // c\nx'));
    const by = Object.fromEntries(s.map((x) => [x.name, Array.from(x.values)]));
    assert.deepEqual(by.quote.slice(0, 6), [0, 0, 1, 1, 0, 0]);
    assert.deepEqual(by.depth.slice(0, 11), [0, 1, 1, 1, 1, 1, 1, 2, 2, 1, 0]);
    assert.equal(by.line[16], 0);
    assert.equal(by.line[17], 1);
    assert.equal(by.comment[14], 1);
    assert.equal(by.comment[17], 0);
  });
});

describe('shipped char LSTM (models/lab/char-lstm)', () => {
  const shipped = loadCharLM('models/lab/char-lstm');
  it('is a small LSTM whose cells.json units really track their signals', async () => {
    const params = shipped.model.numParameters();
    console.log(
      `shipped model: LSTM ${shipped.model.config.layers}x${shipped.model.config.hidden}, ${params} parameters`,
    );
    assert.equal(shipped.model.config.cell, 'lstm');
    const found = JSON.parse(readFileSync('models/lab/char-lstm/cells.json', 'utf8')) as {
      cells: { signal: string; unit: number; series: 'c' | 'h'; correlation: number }[];
    };
    const sample = readFileSync('models/lab/char-lstm/corpus-sample.txt', 'utf8');
    const tr = traceText(shipped.model, shipped.vocab, sample);
    const signals = structureSignals(tr.chars);
    for (const c of found.cells) {
      const s = signals.find((x) => x.name === c.signal);
      assert.ok(s, c.signal);
      const r = unitCorrelation(tr[c.series], tr.T, tr.H, c.unit, s.values);
      console.log(
        `  ${c.signal}: unit ${c.unit} ${c.series}_t r = ${r.toFixed(3)} (cells.json ${c.correlation})`,
      );
      assert.ok(Math.abs(r - c.correlation) < 1e-3);
    }
    // A real cell, not noise: the position-in-line unit follows the line strongly.
    const line = found.cells.find((c) => c.signal === 'line');
    assert.ok(line && Math.abs(line.correlation) > 0.5, `line cell r = ${line?.correlation}`);
    const sat = gateSaturation(tr);
    assert.deepEqual(
      sat.map((g) => g.gate),
      ['i', 'f', 'o'],
    );
    for (const g of sat) for (let j = 0; j < tr.H; j++) assert.ok(g.left[j] + g.right[j] <= 1 + 1e-6);
  });

  it('decoding refuses a foreign file by name', () => {
    assert.throws(
      () => charLMFromBytes(new TextEncoder().encode('hello, not a model'), 'notes.txt'),
      /notes\.txt/,
    );
  });
});

describe('comparison bench runs', () => {
  it('planCompare stepped by hand gives runCompareExperiment’s numbers; ‖∂L/∂h_t‖ has T + 1 entries', () => {
    const opts = { task: 'adding' as const, lengths: [12], steps: 6, evalEvery: 3, evalSize: 16, batch: 4 };
    const ref = runCompareExperiment(opts);
    const plan = planCompare(opts);
    for (const [k, run] of plan.runs.entries()) {
      let r = run.steps.next();
      while (!r.done) {
        if (r.value.record.step === 2) {
          const g = hiddenGradNorms(run.model, run.task, run.task.sample(2, new Rng(9)));
          assert.equal(g.length, 13);
          assert.ok(g.every((x) => Number.isFinite(x) && x >= 0));
        }
        r = run.steps.next();
      }
      assert.equal(r.value.final.loss, ref.records[k].final.loss, `${run.cell}`);
    }
  });
});

describe('kioku lab server', () => {
  it('binds 127.0.0.1, sends COOP/COEP, lists runs/ models and refuses escapes', async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'kioku-lab-'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>lab</title>');
    const runs = join(root, 'runs');
    mkdirSync(join(runs, 'mine'), { recursive: true });
    writeFileSync(join(runs, 'mine', 'model.safetensors'), 'x');
    const lab = await startLabServer({ port: 0, root, runs });
    t.after(() => lab.close());
    assert.match(lab.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const get = (path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> =>
      new Promise((ok, fail) => {
        request(new URL(path, lab.url), (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
        })
          .on('error', fail)
          .end();
      });
    const index = await get('/');
    assert.equal(index.status, 200);
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) assert.equal(index.headers[k.toLowerCase()], v);
    assert.deepEqual(JSON.parse((await get('/api/models')).body), { models: [{ name: 'mine', bytes: 1 }] });
    assert.equal((await get('/runs/mine/model.safetensors')).status, 200);
    assert.equal((await get('/%2e%2e/%2e%2e/etc/passwd')).status, 404);
    // The shipped models come from the package's models/ folder (not from the built lab).
    const shipped = await get('/models/lab/char-lstm/corpus-sample.txt');
    assert.equal(shipped.status, 200);
    assert.equal(shipped.body, readFileSync('models/lab/char-lstm/corpus-sample.txt', 'utf8'));
    assert.equal((await get('/models/lab/none.safetensors')).status, 404);
    assert.equal((await get('/models/lab')).status, 404, 'a folder is not a file');
    assert.equal((await get('/models/..%2f..%2fpackage.json')).status, 404, 'no escape from models/');
  });

  it('`kioku lab` refuses a bad port; a missing build is named', async () => {
    const r = await runCli(['lab', '--port', '70000']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /port|70000/);
    await assert.rejects(startLabServer({ port: 0, root: tmpdir() }), /the lab is not built: .*index\.html/);
  });
});

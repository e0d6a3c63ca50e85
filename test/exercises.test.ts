// Every exercise's check accepts the reference solution (kioku's own layers) and rejects a
// seeded wrong solution at the right place; the CLI works as a learner uses it, from a learner
// project that imports kioku by name.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import '../src/index.js';
import { attentionExercise, type AttentionSolution } from '../src/wings/exercises/attention.js';
import { bidirectionalExercise } from '../src/wings/exercises/bidirectional.js';
import { clippingExercise } from '../src/wings/exercises/clipping.js';
import type { CheckReport, Exercise, GateWeights } from '../src/wings/exercises/common.js';
import { gruExercise } from '../src/wings/exercises/gru.js';
import { EXERCISES } from '../src/wings/exercises/index.js';
import { lstmBackwardExercise, lstmForwardCached, lstmForwardExercise } from '../src/wings/exercises/lstm.js';
import { mdnExercise } from '../src/wings/exercises/mdn.js';
import { detectLang, formatReport } from '../src/wings/exercises/messages.js';
import { QUIZ, checkQuizAnswer } from '../src/wings/exercises/quiz.js';
import { rnnExercise } from '../src/wings/exercises/rnn.js';
import { runCli } from './helpers/cli.js';

const ctx = { dir: tmpdir(), figures: false };

function firstFailure(r: CheckReport): string {
  const f = r.items.find((i) => !i.ok);
  assert.ok(f, `expected a failure, got a pass:\n${formatReport('en', r).join('\n')}`);
  return `${f.name.en} @ ${f.where?.en ?? ''}`;
}

async function expectFailureAt<M>(e: Exercise<M>, wrong: M, where: RegExp): Promise<void> {
  const r = await e.check(wrong, ctx);
  assert.equal(r.passed, false);
  const at = firstFailure(r);
  console.log(`${e.name}: wrong solution fails at: ${at}`);
  assert.match(at, where);
}

const transpose = (m: number[][]): number[][] => m[0].map((_, j) => m.map((row) => row[j]));

describe('exercise checks: the reference passes, a seeded wrong answer fails where it is wrong', () => {
  for (const e of EXERCISES) {
    test(`${e.name}: reference solution (kioku's own layer) passes`, async () => {
      const r = await e.runReference(ctx);
      const text = formatReport('en', r).join('\n');
      console.log(text);
      assert.ok(r.passed, text);
      assert.ok(r.items.length >= 2);
      for (const i of r.items)
        if (i.maxDiff !== undefined) assert.ok(i.maxDiff < 1e-5, `${i.name.en}: ${i.maxDiff}`);
    });
  }

  test('rnn: b_hh left out of the forward fails at h_t, t = 0', async () => {
    const ref = rnnExercise.reference();
    const noBias = (p: GateWeights): GateWeights => ({ ...p, bhh: p.bhh.map(() => 0) });
    await expectFailureAt(
      rnnExercise,
      { ...ref, rnnStepForward: (x, h, p, a) => ref.rnnStepForward(x, h, noBias(p), a) },
      /forward: h_t \(tanh\) @ h_t at time step t = 0, unit/,
    );
  });

  test('rnn: W_hh δ instead of W_hhᵀ δ fails at ∂L/∂h_t one step before the end (t = 4)', async () => {
    const ref = rnnExercise.reference();
    const wrong = {
      ...ref,
      rnnStepBackward: (
        dh: number[],
        h: number[],
        hp: number[],
        x: number[],
        p: GateWeights,
        a: 'tanh' | 'relu',
        g: GateWeights,
      ) => ref.rnnStepBackward(dh, h, hp, x, { ...p, whh: transpose(p.whh) }, a, g),
    };
    await expectFailureAt(rnnExercise, wrong, /BPTT: ∂L\/∂h_t.*@ ∂L\/∂h_t at time step t = 4, unit/);
  });

  test('lstm-forward: h = o ∘ c (tanh forgotten) fails at h_t, t = 0 (c_0 is still right)', async () => {
    const r = await lstmForwardExercise.check(
      {
        lstmStepForward: (x, h, c, p) => {
          const k = lstmForwardCached(x, h, c, p);
          return { c: k.c, h: k.o.map((o, j) => o * k.c[j]) };
        },
      },
      ctx,
    );
    const at = firstFailure(r);
    console.log(`lstm-forward: wrong solution fails at: ${at}`);
    assert.match(at, /states c_t .* and h_t @ h_t at time step t = 0, unit 0/);
  });

  test('lstm-backward: the carousel without ∘ f fails at the first backward step (t = 5)', async () => {
    const ref = lstmBackwardExercise.reference();
    await expectFailureAt(
      lstmBackwardExercise,
      {
        lstmStepBackward: (dh, dc, s, p, g) => {
          const r = ref.lstmStepBackward(dh, dc, s, p, g);
          return { dhPrev: r.dhPrev, dcPrev: r.dcPrev.map((v, j) => v / s.f[j]) };
        },
      },
      /∂L\/∂c_\{t−1\}.*carousel.*@ ∂L\/∂c_\{t−1\} returned by your step at time step t = 5/,
    );
  });

  test('gru: b_hn moved outside the reset gate fails at h_t, t = 0', async () => {
    const ref = gruExercise.reference();
    const H = (p: GateWeights): number => p.bih.length / 3;
    const moved = (p: GateWeights): GateWeights => ({
      ...p,
      bih: p.bih.map((b, i) => (i >= 2 * H(p) ? b + p.bhh[i] : b)),
      bhh: p.bhh.map((b, i) => (i >= 2 * H(p) ? 0 : b)),
    });
    await expectFailureAt(
      gruExercise,
      { gruStepForward: (x, h, p) => ref.gruStepForward(x, h, moved(p)) },
      /h_t \(T = 6, H = 4\) @ h_t at time step t = 0/,
    );
  });

  test('clipping: a norm per array instead of the global norm fails at the returned norm of the three-array case', async () => {
    const ref = clippingExercise.reference();
    await expectFailureAt(
      clippingExercise,
      {
        clipByGlobalNorm: (gs, max) => Math.max(...gs.map((g) => ref.clipByGlobalNorm([g], max))),
        clipByValue: ref.clipByValue,
      },
      /returns the norm before clipping: three arrays.*@ return value/,
    );
  });

  test('clipping: clamping to [0, c] fails at the first negative element', async () => {
    const ref = clippingExercise.reference();
    const r = await clippingExercise.check(
      {
        clipByGlobalNorm: ref.clipByGlobalNorm,
        clipByValue: (gs, c) => gs.forEach((g) => g.forEach((v, i) => (g[i] = Math.min(Math.max(v, 0), c)))),
      },
      ctx,
    );
    assert.match(firstFailure(r), /clipByValue \(±1\): three arrays.* @ array 0, element \d+/);
  });

  test('bidirectional: concatenating h_b without reversing fails at t = 0, reverse half', async () => {
    await expectFailureAt(
      bidirectionalExercise,
      { assembleBidirectional: (hF, hB) => hF.map((row, t) => [...row, ...hB[t]]) },
      /sequence 0 \(length 6\) @ sequence 0 \(length 6\), time step t = 0, reverse half, unit 0/,
    );
  });

  test('mdn: e = σ(ê) instead of σ(−ê) fails at e (eq. 18), row 0', async () => {
    const ref = mdnExercise.reference();
    await expectFailureAt(
      mdnExercise,
      { ...ref, mdnMixture: (y, M) => ({ ...ref.mdnMixture(y, M), e: 1 - ref.mdnMixture(y, M).e }) },
      /mixture parameters \(eqs\. 18-22\) @ e \(eq\. 18\), output row 0$/,
    );
  });

  test('mdn: ρ left out of the density fails at the density, row 0', async () => {
    const ref = mdnExercise.reference();
    await expectFailureAt(
      mdnExercise,
      { ...ref, bivariateNormal: (x1, x2, m1, m2, s1, s2) => ref.bivariateNormal(x1, x2, m1, m2, s1, s2, 0) },
      /bivariate normal density.*@ output row 0, component 0/,
    );
  });

  test('attention: softmax without subtracting the max overflows in the large-score case', async () => {
    const naive: AttentionSolution = {
      attentionWeights: (q, keys) => {
        const ex = keys.map((k) => Math.exp(k.reduce((s, v, j) => s + v * q[j], 0)));
        const z = ex.reduce((a, b) => a + b, 0);
        return ex.map((v) => v / z);
      },
      attentionContext: attentionExercise.reference().attentionContext,
    };
    await expectFailureAt(
      attentionExercise,
      naive,
      /weights α: large scores.* @ decoder step 0, encoder position s = \d/,
    );
  });
});

describe('quiz: answers computed by kioku', () => {
  test('sigmoid′ max, chain rule, weight count, LSTM vs GRU parameters, forget gate, bidirectional index', () => {
    const answers = ['0.25', '6', '3', '2560', '1920', 'forget', '3'];
    QUIZ.forEach((q, i) => {
      const t = q.solve();
      console.log(`quiz ${q.id}: ${t.display}`);
      assert.ok(checkQuizAnswer(q, answers[i]), `question ${q.id}: ${answers[i]} vs ${t.display}`);
    });
    assert.equal(checkQuizAnswer(QUIZ[0], '0.5'), false);
    assert.equal(checkQuizAnswer(QUIZ[5], 'input'), false);
    assert.ok(checkQuizAnswer(QUIZ[5], '忘却ゲート'));
  });

  test('language from the locale', () => {
    assert.equal(detectLang({ LANG: 'ja_JP.UTF-8' }), 'ja');
    assert.equal(detectLang({ LC_ALL: 'C', LANG: 'ja_JP.UTF-8' }), 'en');
    assert.equal(detectLang({}), 'en');
  });
});

const SOLUTION_CLIPPING = `import type { Vector } from 'kioku';
export function clipByGlobalNorm(grads: Float64Array[], maxNorm: number): number {
  let s = 0;
  for (const g of grads) for (const v of g) s += v * v;
  const n = Math.sqrt(s);
  const c = maxNorm / (n + 1e-6);
  if (c < 1) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= c;
  return n;
}
export function clipByValue(grads: Float64Array[], clipValue: number): void {
  for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = Math.min(Math.max(g[i], -clipValue), clipValue);
}
export const unused: Vector = [];
`;

describe('kioku exercise (as a learner: a project that imports kioku by name)', () => {
  const project = mkdtempSync(join(tmpdir(), 'kioku-learner-'));
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'learner', type: 'module', private: true }),
  );
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(resolve('.'), join(project, 'node_modules', 'kioku'), 'dir');
  const dir = join(project, 'kioku-exercises');

  test('list names every exercise', async () => {
    const r = await runCli(['exercise', 'list', '--lang', 'en']);
    assert.equal(r.code, 0, r.stderr);
    for (const e of EXERCISES) assert.match(r.stdout, new RegExp(`\\b${e.name}\\b`));
  });

  test('start writes every scaffold: signature and equations, no answer; checking it unfilled fails at the TODO', async () => {
    for (const e of EXERCISES) {
      const r = await runCli(['exercise', 'start', e.name, '--dir', dir, '--lang', 'en']);
      assert.equal(r.code, 0, r.stderr);
      const text = readFileSync(join(dir, e.file), 'utf8');
      assert.match(text, /export function/);
      assert.match(text, /TODO/);
      assert.match(text, /kioku exercise check/);
      const c = await runCli(['exercise', 'check', e.name, '--dir', dir, '--lang', 'en']);
      assert.equal(c.code, 1, `${e.name}: an unfilled scaffold must fail`);
      assert.match(c.stdout, /✗/);
      assert.match(c.stdout, /TODO/);
    }
    const again = await runCli(['exercise', 'start', 'rnn', '--dir', dir, '--lang', 'ja']);
    assert.match(again.stdout, /既にあります/);
  });

  test('check passes a correct learner file and names the place of a wrong one', async () => {
    const file = join(dir, 'clipping.ts');
    writeFileSync(file, SOLUTION_CLIPPING);
    const ok = await runCli(['exercise', 'check', 'clipping', '--dir', dir, '--lang', 'en']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /All checks passed/);
    writeFileSync(file, SOLUTION_CLIPPING.replace('Math.max(g[i], -clipValue)', 'Math.max(g[i], 0)'));
    const bad = await runCli(['exercise', 'check', 'clipping', '--dir', dir, '--lang', 'ja']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /場所: 配列 0 の要素 \d+/);
    assert.match(bad.stdout, /期待値 -?[\d.]+, あなたの値 0/);
  });

  test('hint goes one level further each time and remembers it', async () => {
    const h1 = await runCli(['exercise', 'hint', 'lstm-backward', '--dir', dir, '--lang', 'en']);
    assert.match(h1.stdout, /Hint 1\/3/);
    assert.doesNotMatch(h1.stdout, /Hint 2\/3/);
    const h2 = await runCli(['exercise', 'hint', 'lstm-backward', '--dir', dir, '--lang', 'en']);
    assert.match(h2.stdout, /Hint 2\/3/);
    assert.ok(existsSync(join(dir, '.kioku-hints.json')));
    assert.equal(JSON.parse(readFileSync(join(dir, '.kioku-hints.json'), 'utf8'))['lstm-backward'], 2);
  });

  test('quiz checks an answer and reveals', async () => {
    const right = await runCli(['exercise', 'quiz', '1', '0.25', '--lang', 'en']);
    assert.equal(right.code, 0, right.stderr);
    assert.match(right.stdout, /Correct/);
    const wrong = await runCli(['exercise', 'quiz', '4', '2000', '--lang', 'en']);
    assert.equal(wrong.code, 1);
    const reveal = await runCli(['exercise', 'quiz', '5', '--reveal', '--lang', 'ja']);
    assert.match(reveal.stdout, /答え: 1920/);
  });

  test('checking before start says to start, in the chosen language', async () => {
    const r = await runCli(['exercise', 'check', 'gru', '--dir', join(project, 'empty'), '--lang', 'ja']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /gru\.ts がありません。先に `kioku exercise start gru` を実行してください/);
  });

  test('an unknown exercise is refused with the list', async () => {
    const r = await runCli(['exercise', 'check', 'nope', '--lang', 'en']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown exercise "nope"; expected one of: rnn, lstm-forward/);
  });
});

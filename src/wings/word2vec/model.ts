import { Vocab } from '../../data/vocab.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';
import { Rng, type RngState } from '../../util/rng.js';
import { Module, Parameter } from '../../nn/module.js';
import type { FloatArray } from '../../tensor/tensor.js';
import type { TrainTask } from '../../train/trainer.js';
import { type FinishedRun, type RunFlags, runTraining } from '../../node/run-dir.js';
import { loadTaskModel, saveTaskModel } from '../taskfile.js';

/**
 * word2vec (Mikolov et al. 2013a, "Efficient Estimation of Word Representations in Vector
 * Space"; 2013b, "Distributed Representations of Words and Phrases and their
 * Compositionality"): skip-gram and CBOW trained with negative sampling and frequent-word
 * subsampling, following the reference C tool (dynamic window, linear learning-rate decay,
 * unigram^0.75 noise distribution, plain SGD with sparse row updates).
 */
export type Word2vecArch = 'skipgram' | 'cbow';

export interface Word2vecConfig {
  arch: Word2vecArch;
  dim: number;
  /** Maximum window radius; each position draws its radius uniformly from 1..window. */
  window: number;
  /** Negative samples per positive pair. */
  negative: number;
  /** Subsampling threshold t (2013b eq. 5; the C tool's formula). 0 disables. */
  sample: number;
  minCount: number;
  /** Vocabulary cap including <pad> and <unk> (never trained as words). */
  maxVocab: number;
  epochs: number;
  /** Starting learning rate (decays linearly to lr·1e-4). */
  lr: number;
  seed: number;
}

export const DEFAULT_WORD2VEC_CONFIG: Word2vecConfig = {
  arch: 'skipgram',
  dim: 64,
  window: 5,
  negative: 5,
  sample: 1e-4,
  minCount: 5,
  maxVocab: 30000,
  epochs: 1,
  lr: 0.025,
  seed: 1,
};

const sigmoid = (x: number): number => (x > 6 ? 1 : x < -6 ? 0 : 1 / (1 + Math.exp(-x)));
const logSigmoid = (x: number): number => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)));

/**
 * The negative-sampling objective for one input vector h and K+1 output rows
 * (2013b eq. 4), with its gradients:
 *
 *   L = −log σ(u_o·h) − Σ_k log σ(−u_k·h)
 *   ∂L/∂h   = Σ_j (σ(u_j·h) − y_j) u_j        (y = 1 for the target o, 0 for the negatives)
 *   ∂L/∂u_j = (σ(u_j·h) − y_j) h
 *
 * `rows` lists the output-matrix rows (target first); `out` is [V, dim].
 * Returns the loss and gradients (for `h` and for each listed row, in order).
 */
export function negSamplingLoss(
  h: ArrayLike<number>,
  out: ArrayLike<number>,
  rows: readonly number[],
  dim: number,
): { loss: number; dh: Float64Array; du: Float64Array[] } {
  const dh = new Float64Array(dim);
  const du: Float64Array[] = [];
  let loss = 0;
  rows.forEach((r, j) => {
    const y = j === 0 ? 1 : 0;
    let z = 0;
    for (let i = 0; i < dim; i++) z += h[i] * out[r * dim + i];
    loss -= y ? logSigmoid(z) : logSigmoid(-z);
    const g = 1 / (1 + Math.exp(-z)) - y;
    const d = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      dh[i] += g * out[r * dim + i];
      d[i] = g * h[i];
    }
    du.push(d);
  });
  return { loss, dh, du };
}

/**
 * One SGD step of `negSamplingLoss` as the C tool does it, in place: every output row
 * u_j -= lr·∂L/∂u_j immediately, and lr·∂L/∂h is *added with the opposite sign* to
 * `neu1e` (the caller applies it to the input rows afterwards). `h` is read at `hOff`.
 * Returns the loss before the step.
 */
export function negSamplingStep(
  h: FloatArray,
  hOff: number,
  out: FloatArray,
  rows: ArrayLike<number>,
  dim: number,
  lr: number,
  neu1e: Float32Array,
): number {
  let loss = 0;
  for (let j = 0; j < rows.length; j++) {
    const o = rows[j] * dim;
    let z = 0;
    for (let i = 0; i < dim; i++) z += h[hOff + i] * out[o + i];
    const y = j === 0 ? 1 : 0;
    loss -= y ? logSigmoid(z) : logSigmoid(-z);
    const g = (y - sigmoid(z)) * lr; // = −lr · ∂L/∂z
    for (let i = 0; i < dim; i++) {
      neu1e[i] += g * out[o + i];
      out[o + i] += g * h[hOff + i];
    }
  }
  return loss;
}

/** A trained model: the vocabulary, input vectors (the embeddings) and output vectors. */
export interface Word2vecModel {
  config: Word2vecConfig;
  vocab: Vocab;
  counts: Int32Array;
  /** [V, dim] input ("syn0") vectors: the word embeddings. */
  input: Float32Array;
  /** [V, dim] output ("syn1neg") vectors. */
  output: Float32Array;
}

export interface Word2vecTrainResult {
  finished: false;
  model: Word2vecModel;
  /** Mean negative-sampling loss per positive pair, per tenth of training. */
  lossCurve: number[];
  words: number;
  seconds: number;
}

/** The two tables as a `Module` (what the Trainer checkpoints): input [V, D] and output [V, D] vectors. */
export class Word2vecTables extends Module {
  readonly input: Parameter;
  readonly output: Parameter;

  constructor(V: number, D: number, input: Float32Array) {
    super();
    this.input = new Parameter('input', new Tensor(input, [V, D]), Tensor.zeros([V, D]));
    this.output = Parameter.zeros('output', [V, D], 'float32');
  }

  protected override ownParameters(): Parameter[] {
    return [this.input, this.output];
  }
}

/** What the word2vec task keeps for an exact resume (the tables are the model's weights). */
interface Word2vecTaskState {
  rng: RngState;
  epoch: number;
  doc: number;
  done: number;
  lossSum: number;
  pairs: number;
  nextMark: number;
  lossCurve: number[];
  lastLoss: number;
}

/**
 * word2vec as a `TrainTask` that updates its tables itself (`updatesItself`): one step is
 * a block of documents (a hundredth of the corpus), each trained with the C tool's sparse
 * SGD at the learning rate of its position, lr · (1 − words done / (epochs · words + 1)),
 * floored at lr · 1e-4. word2vec has no held-out objective: `validate` reports the mean
 * loss per positive pair since the last tenth of training.
 */
export class Word2vecTask implements TrainTask {
  readonly updatesItself = true;
  readonly stepsPerEpoch: number;
  lossCurve: number[] = [];
  private epoch = 0;
  private doc = 0;
  private done = 0;
  private lossSum = 0;
  private pairs = 0;
  private nextMark: number;
  private lastLoss = NaN;
  private readonly docsPerStep: number;
  private readonly totalWork: number;
  private readonly neu1e: Float32Array;
  private readonly neu1: Float32Array;
  private readonly rows: Int32Array;
  private readonly sentence: number[] = [];

  constructor(
    readonly model: Word2vecTables,
    private readonly corpus: readonly Int32Array[],
    private readonly keep: Float64Array,
    private readonly table: Int32Array,
    private readonly c: Word2vecConfig,
    total: number,
    private readonly rng: Rng,
    private readonly log: (m: string) => void,
  ) {
    this.docsPerStep = Math.max(1, Math.ceil(corpus.length / 100));
    this.stepsPerEpoch = Math.ceil(corpus.length / this.docsPerStep);
    this.totalWork = c.epochs * total;
    this.nextMark = this.totalWork / 10;
    this.neu1e = new Float32Array(c.dim);
    this.neu1 = new Float32Array(c.dim);
    this.rows = new Int32Array(c.negative + 1);
  }

  trainBatch(): { loss: number; tokens: number } {
    if (this.doc >= this.corpus.length) {
      this.epoch++;
      this.doc = 0;
    }
    const end = Math.min(this.doc + this.docsPerStep, this.corpus.length);
    let loss = 0;
    let pairs = 0;
    let words = 0;
    for (; this.doc < end; this.doc++) {
      const r = this.trainDoc(this.corpus[this.doc]);
      loss += r.loss;
      pairs += r.pairs;
      words += this.corpus[this.doc].length;
    }
    return { loss: loss / Math.max(1, pairs), tokens: words };
  }

  /** One document: subsample, then the skip-gram or CBOW updates of each position (2013a §3). */
  private trainDoc(doc: Int32Array): { loss: number; pairs: number } {
    const { c, rng, keep, table, rows, neu1, neu1e, sentence } = this;
    const D = c.dim;
    const input = this.model.input.value.data; // [V, D], updated in place
    const output = this.model.output.value.data; // [V, D]
    const tableSize = table.length;
    let loss = 0;
    let pairs = 0;
    sentence.length = 0;
    for (const id of doc) if (keep[id] >= 1 || rng.uniform() < keep[id]) sentence.push(id);
    this.done += doc.length;
    const lr = Math.max(c.lr * 1e-4, c.lr * (1 - this.done / (this.totalWork + 1)));
    const n = sentence.length;
    for (let p = 0; p < n; p++) {
      const word = sentence[p];
      const r = 1 + rng.int(c.window);
      const drawNeg = (): void => {
        rows[0] = word;
        for (let k = 1; k <= c.negative; k++) {
          let t = table[rng.int(tableSize)];
          if (t === word) t = table[rng.int(tableSize)];
          rows[k] = t;
        }
      };
      if (c.arch === 'skipgram') {
        for (let q = Math.max(0, p - r); q <= Math.min(n - 1, p + r); q++) {
          if (q === p) continue;
          const ctx = sentence[q];
          drawNeg();
          neu1e.fill(0);
          const l = negSamplingStep(input, ctx * D, output, rows, D, lr, neu1e);
          loss += l;
          this.lossSum += l; // summed pair by pair, as the loss curve always was
          pairs++;
          for (let i = 0; i < D; i++) input[ctx * D + i] += neu1e[i];
        }
      } else {
        neu1.fill(0);
        let cw = 0;
        for (let q = Math.max(0, p - r); q <= Math.min(n - 1, p + r); q++) {
          if (q === p) continue;
          const o = sentence[q] * D;
          for (let i = 0; i < D; i++) neu1[i] += input[o + i];
          cw++;
        }
        if (cw === 0) continue;
        for (let i = 0; i < D; i++) neu1[i] /= cw;
        drawNeg();
        neu1e.fill(0);
        const l = negSamplingStep(neu1, 0, output, rows, D, lr, neu1e);
        loss += l;
        this.lossSum += l;
        pairs++;
        for (let q = Math.max(0, p - r); q <= Math.min(n - 1, p + r); q++) {
          if (q === p) continue;
          const o = sentence[q] * D;
          for (let i = 0; i < D; i++) input[o + i] += neu1e[i];
        }
      }
    }
    this.pairs += pairs;
    if (this.done >= this.nextMark) {
      this.lastLoss = this.lossSum / Math.max(1, this.pairs);
      this.lossCurve.push(this.lastLoss);
      this.log(
        `word2vec ${c.arch}: ${Math.round((100 * this.done) / this.totalWork)}% loss ${this.lastLoss.toFixed(4)} lr ${lr.toExponential(2)}`,
      );
      this.lossSum = 0;
      this.pairs = 0;
      this.nextMark += this.totalWork / 10;
    }
    return { loss, pairs };
  }

  /** The mean loss per pair of the last tenth of training (no held-out set; changes nothing). */
  validate(): number {
    return this.pairs > 0 ? this.lossSum / this.pairs : this.lastLoss;
  }

  getState(): Word2vecTaskState {
    const { epoch, doc, done, lossSum, pairs, nextMark, lossCurve, lastLoss } = this;
    return { rng: this.rng.getState(), epoch, doc, done, lossSum, pairs, nextMark, lossCurve, lastLoss };
  }

  setState(state: unknown): void {
    const s = state as Word2vecTaskState;
    this.rng.setState(s.rng);
    ({
      epoch: this.epoch,
      doc: this.doc,
      done: this.done,
      lossSum: this.lossSum,
      pairs: this.pairs,
      nextMark: this.nextMark,
      lastLoss: this.lastLoss,
    } = s);
    this.lossCurve = [...s.lossCurve];
  }
}

/** The vocabulary, counts, corpus ids, noise table and keep probabilities of a corpus. */
function prepareCorpus(docs: readonly (readonly string[])[], c: Word2vecConfig, w: string) {
  const vocab = Vocab.build(docs, { maxSize: c.maxVocab, minCount: c.minCount });
  const V = vocab.size;
  if (V < 4) throw new KiokuError(`${w}: the corpus has fewer than 2 words seen ${c.minCount}+ times`);
  const counts = new Int32Array(V);
  const corpus: Int32Array[] = [];
  let total = 0;
  for (const d of docs) {
    const { ids } = vocab.encode(d);
    const kept = ids.filter((id) => id >= 2); // out-of-vocabulary words are dropped, as in the C tool
    for (const id of kept) counts[id]++;
    total += kept.length;
    if (kept.length > 1) corpus.push(kept);
  }
  // Noise distribution U(w)^0.75 / Z as a lookup table (2013b §2.2).
  const tableSize = 1 << 20;
  const table = new Int32Array(tableSize);
  {
    let z = 0;
    for (let i = 2; i < V; i++) z += counts[i] ** 0.75;
    let i = 2;
    let cum = counts[i] ** 0.75 / z;
    for (let a = 0; a < tableSize; a++) {
      table[a] = i;
      if (a / tableSize > cum && i < V - 1) {
        i++;
        cum += counts[i] ** 0.75 / z;
      }
    }
  }
  // Keep probability of a word with count f: (√(f/(t·N)) + 1)·(t·N)/f (the C tool's form of 2013b eq. 5).
  const keep = new Float64Array(V).fill(1);
  if (c.sample > 0) {
    for (let i = 2; i < V; i++) {
      const f = counts[i];
      if (f > 0) keep[i] = Math.min(1, ((Math.sqrt(f / (c.sample * total)) + 1) * (c.sample * total)) / f);
    }
  }
  return { vocab, counts, corpus, total, table, keep };
}

/**
 * Train word2vec on tokenised sentences/documents, through the `Trainer` (`Word2vecTask`).
 * With `run.out`, a run directory (see `runTraining`); its model.safetensors is the model.
 * A `resume` of a run that already finished returns `{ finished: true }`.
 */
export async function trainWord2vec(
  /** Tokenised documents, or a function that reads them (called only when the run starts). */
  docs: readonly (readonly string[])[] | (() => readonly (readonly string[])[]),
  cfg: Partial<Word2vecConfig> = {},
  log: (m: string) => void = () => {},
  run: RunFlags & { out?: string; settings?: Record<string, unknown> } = {},
): Promise<Word2vecTrainResult | FinishedRun> {
  const c: Word2vecConfig = {
    ...DEFAULT_WORD2VEC_CONFIG,
    ...(cfg.arch === 'cbow' && cfg.lr === undefined ? { lr: 0.05 } : {}),
    ...cfg,
  };
  const w = 'word2vec';
  if (c.arch !== 'skipgram' && c.arch !== 'cbow')
    throw new KiokuError(`${w}: arch must be 'skipgram' or 'cbow', got ${JSON.stringify(c.arch)}`);
  checkNumber(w, 'dim', c.dim, { min: 1, integer: true });
  checkNumber(w, 'window', c.window, { min: 1, integer: true });
  checkNumber(w, 'negative', c.negative, { min: 1, integer: true });
  checkNumber(w, 'sample', c.sample, { min: 0 });
  checkNumber(w, 'minCount', c.minCount, { min: 1, integer: true });
  checkNumber(w, 'epochs', c.epochs, { min: 1, integer: true });
  checkNumber(w, 'lr', c.lr, { min: 0 });
  const t0 = performance.now();
  /** Corpus, tables and task: built after the run directory is checked (a refusal is immediate). */
  const prepare = () => {
    const { vocab, counts, corpus, total, table, keep } = prepareCorpus(
      typeof docs === 'function' ? docs() : docs,
      c,
      w,
    );
    const V = vocab.size;
    const rng = new Rng(c.seed);
    const D = c.dim;
    const input = new Float32Array(V * D);
    for (let i = 0; i < input.length; i++) input[i] = (rng.uniform() - 0.5) / D; // C tool init
    const tables = new Word2vecTables(V, D, input);
    const task = new Word2vecTask(tables, corpus, keep, table, c, total, rng, log);
    return { vocab, counts, total, tables, task };
  };
  const ctx: { p?: ReturnType<typeof prepare> } = {};
  const r = await runTraining({
    ...run,
    // The epochs are the task's own (its learning rate decays over all of them): not a free budget.
    settings: { ...c, epochs: undefined, passes: c.epochs, ...(run.settings ?? {}) },
    log,
    build: () => {
      const p = (ctx.p = prepare());
      return {
        task: p.task,
        options: { optimizer: 'sgd', lr: c.lr, epochs: c.epochs, clipMode: 'none', checkpointEvery: 50 },
        meta: () => ({
          config: { ...c, task: 'word2vec' },
          extra: { vocab: p.vocab.toJSON(), counts: Array.from(p.counts) },
        }),
      };
    },
  });
  if (r.finished) return r;
  const { vocab, counts, total, tables, task } = ctx.p!;
  return {
    finished: false,
    model: {
      config: c,
      vocab,
      counts,
      input: Float32Array.from(tables.input.value.data),
      output: Float32Array.from(tables.output.value.data),
    },
    lossCurve: task.lossCurve,
    words: total,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Unit-length copies of the input vectors (rows of zeros stay zero). */
function normalized(m: Word2vecModel): Float32Array {
  const D = m.config.dim;
  const out = new Float32Array(m.input.length);
  for (let r = 0; r < m.vocab.size; r++) {
    let s = 0;
    for (let i = 0; i < D; i++) s += m.input[r * D + i] ** 2;
    const k = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let i = 0; i < D; i++) out[r * D + i] = m.input[r * D + i] * k;
  }
  return out;
}

export interface Neighbor {
  word: string;
  similarity: number;
}

function nearest(
  m: Word2vecModel,
  unit: Float32Array,
  q: Float64Array,
  k: number,
  exclude: Set<number>,
): Neighbor[] {
  const D = m.config.dim;
  const scored: Neighbor[] = [];
  for (let r = 2; r < m.vocab.size; r++) {
    if (exclude.has(r)) continue;
    let s = 0;
    for (let i = 0; i < D; i++) s += unit[r * D + i] * q[i];
    scored.push({ word: m.vocab.tokens[r], similarity: s });
  }
  scored.sort((a, b) => b.similarity - a.similarity);
  return scored.slice(0, k);
}

function wordId(m: Word2vecModel, word: string): number {
  const w = word.toLowerCase();
  if (!m.vocab.has(w) || m.vocab.id(w) < 2)
    throw new KiokuError(`'${word}' is not in the word2vec vocabulary (${m.vocab.size - 2} words)`);
  return m.vocab.id(w);
}

/** The k words with the highest cosine similarity to `word`. */
export function neighbors(m: Word2vecModel, word: string, k = 10): Neighbor[] {
  const id = wordId(m, word);
  const unit = normalized(m);
  const D = m.config.dim;
  return nearest(m, unit, Float64Array.from(unit.subarray(id * D, id * D + D)), k, new Set([id]));
}

/**
 * Analogy "a is to b as c is to ?" by 3CosAdd (Mikolov et al. 2013c): the words closest to
 * unit(b) − unit(a) + unit(c), excluding a, b and c.
 */
export function analogy(m: Word2vecModel, a: string, b: string, c: string, k = 5): Neighbor[] {
  const [ia, ib, ic] = [a, b, c].map((x) => wordId(m, x));
  const unit = normalized(m);
  const D = m.config.dim;
  const q = new Float64Array(D);
  for (let i = 0; i < D; i++) q[i] = unit[ib * D + i] - unit[ia * D + i] + unit[ic * D + i];
  let s = 0;
  for (let i = 0; i < D; i++) s += q[i] * q[i];
  for (let i = 0; i < D; i++) q[i] /= Math.sqrt(s) || 1;
  return nearest(m, unit, q, k, new Set([ia, ib, ic]));
}

export function saveWord2vec(path: string, m: Word2vecModel): void {
  const V = m.vocab.size;
  const D = m.config.dim;
  saveTaskModel(
    path,
    'word2vec',
    m.config,
    { input: new Tensor(m.input, [V, D]), output: new Tensor(m.output, [V, D]) },
    { vocab: m.vocab.toJSON(), counts: Array.from(m.counts) },
    0,
  );
}

export function loadWord2vec(path: string): Word2vecModel {
  const f = loadTaskModel<Word2vecConfig>(path, 'word2vec');
  const { task: _t, ...config } = f.config;
  const vocab = Vocab.fromJSON(f.extra.vocab);
  const inp = f.model.input;
  const out = f.model.output;
  const D = (config as Word2vecConfig).dim;
  if (!inp || !out || inp.size !== vocab.size * D || out.size !== vocab.size * D)
    throw new KiokuError(`${path}: word2vec tensors do not match its vocabulary (${vocab.size} × ${D})`);
  const counts = Int32Array.from((f.extra.counts as number[] | undefined) ?? []);
  return {
    config: config as Word2vecConfig,
    vocab,
    counts,
    input: Float32Array.from(inp.data),
    output: Float32Array.from(out.data),
  };
}

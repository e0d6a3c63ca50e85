import { Tensor } from '../../tensor/tensor.js';
import { KiokuError } from '../../util/errors.js';
import type { DecoderState, Seq2Seq } from './model.js';

/** One decoded output with the attention weights of every emitted token. */
export interface Hypothesis {
  /** Output token ids, without <s> and </s>. */
  tokens: number[];
  /** Sum of log-probabilities (including </s> when it was emitted). */
  logProb: number;
  /** weights[i] = attention over the source (length Ts) when token i (or the final </s>) was chosen. */
  weights: number[][];
  finished: boolean;
}

export interface DecodeOptions {
  bos: number;
  eos: number;
  maxLen: number;
}

/** Pick rows of a [1, B, H] state tensor. */
function gather(t: Tensor, rows: readonly number[]): Tensor {
  const H = t.shape[2];
  const out = Tensor.zeros([1, rows.length, H], t.dtype);
  rows.forEach((r, i) => out.data.set(t.data.subarray(r * H, (r + 1) * H), i * H));
  return out;
}

function gatherState(s: DecoderState, rows: readonly number[]): DecoderState {
  return { h: gather(s.h, rows), ...(s.c ? { c: gather(s.c, rows) } : {}) };
}

/** Repeat one source's memory [Ts, 1, K] as [Ts, n, K]. */
function repeatMemory(m: Tensor, n: number): Tensor {
  const [Ts, , K] = m.shape;
  const out = Tensor.zeros([Ts, n, K], m.dtype);
  for (let t = 0; t < Ts; t++)
    for (let i = 0; i < n; i++) out.data.set(m.data.subarray(t * K, (t + 1) * K), (t * n + i) * K);
  return out;
}

function encodeOne(model: Seq2Seq, src: Int32Array) {
  if (src.length === 0) throw new KiokuError('decode: empty source sequence');
  return model.encode(src, src.length, 1, [src.length]);
}

/**
 * Greedy decoding of one source sequence: take the most likely token at every step until
 * </s> or `maxLen` tokens. Ties go to the lowest token id.
 */
export function greedyDecode(model: Seq2Seq, src: Int32Array, o: DecodeOptions): Hypothesis {
  model.eval();
  const enc = encodeOne(model, src);
  const Ts = src.length;
  let state = enc.state;
  let prev = o.bos;
  const h: Hypothesis = { tokens: [], logProb: 0, weights: [], finished: false };
  const V = model.config.tgtVocab;
  for (let t = 0; t < o.maxLen; t++) {
    const r = model.step(Int32Array.of(prev), state, enc.memory, enc.lengths);
    let best = 0;
    for (let v = 1; v < V; v++) if (r.logProbs[v] > r.logProbs[best]) best = v;
    h.logProb += r.logProbs[best];
    h.weights.push(Array.from(r.weights.subarray(0, Ts)));
    state = r.state;
    if (best === o.eos) {
      h.finished = true;
      break;
    }
    h.tokens.push(best);
    prev = best;
  }
  return h;
}

/**
 * Greedy decoding of many sources at once (one batched decoder step per time step), for
 * fast evaluation. Attention weights are not kept.
 */
export function greedyDecodeBatch(model: Seq2Seq, srcs: readonly Int32Array[], o: DecodeOptions): number[][] {
  model.eval();
  const B = srcs.length;
  const Ts = Math.max(...srcs.map((s) => s.length));
  const ids = new Int32Array(Ts * B);
  const lengths = new Int32Array(B);
  srcs.forEach((s, b) => {
    lengths[b] = s.length;
    s.forEach((v, t) => (ids[t * B + b] = v));
  });
  const enc = model.encode(ids, Ts, B, lengths);
  let state = enc.state;
  let prev = new Int32Array(B).fill(o.bos);
  const out: number[][] = srcs.map(() => []);
  const done = new Uint8Array(B);
  const V = model.config.tgtVocab;
  for (let t = 0; t < o.maxLen && done.some((d) => d === 0); t++) {
    const r = model.step(prev, state, enc.memory, enc.lengths);
    const next = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      let best = 0;
      for (let v = 1; v < V; v++) if (r.logProbs[b * V + v] > r.logProbs[b * V + best]) best = v;
      next[b] = best;
      if (!done[b]) {
        if (best === o.eos) done[b] = 1;
        else out[b].push(best);
      }
    }
    prev = next;
    state = r.state;
  }
  return out;
}

/**
 * Beam search (as in Sutskever et al. 2014; Bahdanau et al. 2015 §A.2): keep the `width`
 * best partial outputs by total log-probability; a hypothesis that emits </s> is finished.
 * Search stops when no partial hypothesis can beat the best finished one (log-probabilities
 * only fall as outputs grow) or at `maxLen`. Candidates with equal scores are ordered by
 * parent rank, then token id, so width 1 reproduces `greedyDecode` exactly.
 * Returns up to `width` hypotheses, best first, each with its attention weights.
 */
export function beamSearch(model: Seq2Seq, src: Int32Array, width: number, o: DecodeOptions): Hypothesis[] {
  if (!Number.isInteger(width) || width < 1)
    throw new KiokuError(`beamSearch: width must be an integer >= 1, got ${width}`);
  model.eval();
  const enc = encodeOne(model, src);
  const Ts = src.length;
  const V = model.config.tgtVocab;
  let alive: Hypothesis[] = [{ tokens: [], logProb: 0, weights: [], finished: false }];
  let state = enc.state;
  let memory = enc.memory;
  const finished: Hypothesis[] = [];
  for (let t = 0; t < o.maxLen && alive.length > 0; t++) {
    const n = alive.length;
    if (memory.shape[1] !== n) memory = repeatMemory(enc.memory, n);
    const prev = Int32Array.from(alive, (h) => (h.tokens.length ? h.tokens[h.tokens.length - 1] : o.bos));
    const r = model.step(prev, state, memory, new Int32Array(n).fill(Ts));
    const cands: { parent: number; token: number; score: number }[] = [];
    for (let i = 0; i < n; i++)
      for (let v = 0; v < V; v++)
        cands.push({ parent: i, token: v, score: alive[i].logProb + r.logProbs[i * V + v] });
    cands.sort((a, b) => b.score - a.score || a.parent - b.parent || a.token - b.token);
    const next: Hypothesis[] = [];
    const rows: number[] = [];
    for (const c of cands.slice(0, width)) {
      const p = alive[c.parent];
      const weights = [...p.weights, Array.from(r.weights.subarray(c.parent * Ts, (c.parent + 1) * Ts))];
      if (c.token === o.eos) finished.push({ tokens: p.tokens, logProb: c.score, weights, finished: true });
      else {
        next.push({ tokens: [...p.tokens, c.token], logProb: c.score, weights, finished: false });
        rows.push(c.parent);
      }
    }
    finished.sort((a, b) => b.logProb - a.logProb);
    alive = next;
    if (finished.length >= width && (alive.length === 0 || finished[width - 1].logProb >= alive[0].logProb))
      break;
    if (alive.length) state = gatherState(r.state, rows);
  }
  const all = [...finished, ...alive].sort((a, b) => b.logProb - a.logProb);
  return all.slice(0, width);
}

// Batch-1 decoding in one call per token: embedding → stacked LSTM / GRU / Elman cells →
// output layer → softmax → the next token, for text generation (char-rnn's sampling loop).
//
// The unfused path runs ~10 kernel calls per layer and token, each staging small arrays and
// allocating its outputs; here the whole step reads the weights where they lie and keeps its
// state in place. Every product goes through the same arithmetic as the unfused path:
// `gemmDot` (the DOT path `sgemm` picks for batch-1 products), `addRowVector` for the
// biases, and the cells' own step kernels (`lstmForward`, `gruForward`, `rnnForward`), called
// in the unfused path's order — so the logits are the same floats, bit for bit. The softmax
// and the draw follow `pickToken` in src/nn/step-decoder.ts in float64, term by term.
//
// A decoder is described by a block of i32 words (`D_*` below, written by
// src/tensor/wasm-decoder.ts); pointers are byte addresses in the shared memory.
import { lstmForward, gruForward, rnnForward } from './cells';
import { gemmDot } from './gemm';
import { addRowVector } from './rows';

/** Cell kinds (`DECODER_CELLS` in src/tensor/wasm-decoder.ts). */
const CELL_RNN_TANH = 0;
const CELL_RNN_RELU = 1;
const CELL_LSTM = 2;
const CELL_GRU = 3;

// Descriptor words (i32 index; the byte offset is 4× this).
const D_CELL = 0;
const D_LAYERS = 1;
const D_H = 2;
/** Embedding width E = the first layer's input size. */
const D_E = 3;
/** Vocabulary V = rows of the embedding = outputs of the head. */
const D_V = 4;
const D_EMB = 5; // [V, E] f32
/** [V, G·H] f32: E[v]·W_ih(layer 0)ᵀ precomputed for every token, or 0. */
const D_TABLE = 6;
const D_HEAD_W = 7; // [V, H] f32
const D_HEAD_B = 8; // [V] f32 or 0
const D_LOGITS = 9; // [V] f32: the logits of the next token
const D_GATES = 10; // [G·H] f32 scratch
const D_HG = 11; // [3H] f32 scratch (GRU h-side)
const D_LOGP = 12; // [V] f64 scratch
const D_PROBS = 13; // [V] f64 scratch
const D_ORDER = 14; // [V] i32 scratch
/** First layer's words; each layer has D_LAYER_WORDS: W_ih, W_hh, b_ih, b_hh, peepholes, h, c. */
const D_LAYER0 = 16;
const D_LAYER_WORDS = 8;

// @ts-ignore: decorator
@inline function word(desc: usize, i: i32): usize {
  return <usize>load<i32>(desc + <usize>(i << 2));
}

// @ts-ignore: decorator
@inline function f64At(p: usize, i: i32): f64 {
  return load<f64>(p + <usize>(i << 3));
}

/**
 * Feed `token`: the state of every layer advances one step and the logits of the next token
 * are written to D_LOGITS. Per layer (x = the embedding row, then the layer below's h):
 *   a = x·W_ihᵀ + b_ih + b_hh + h·W_hhᵀ  → lstmForward / rnnForward   (LSTM, Elman)
 *   xg = x·W_ihᵀ + b_ih,  hg = b_hh + h·W_hhᵀ  → gruForward                 (GRU)
 * and logits = h·W_headᵀ + b_head.
 */
export function decodeStep(desc: usize, token: i32): void {
  const cell = load<i32>(desc);
  const L = load<i32>(desc + (D_LAYERS << 2));
  const H = load<i32>(desc + (D_H << 2));
  const E = load<i32>(desc + (D_E << 2));
  const V = load<i32>(desc + (D_V << 2));
  const G = cell == CELL_LSTM ? 4 : cell == CELL_GRU ? 3 : 1;
  const GH = G * H;
  const gates = word(desc, D_GATES);
  const table = word(desc, D_TABLE);
  let x = word(desc, D_EMB) + <usize>token * <usize>E * 4;
  let I = E;
  for (let k = 0; k < L; k++) {
    const w = D_LAYER0 + k * D_LAYER_WORDS;
    const wih = word(desc, w), whh = word(desc, w + 1), bih = word(desc, w + 2), bhh = word(desc, w + 3);
    const peep = word(desc, w + 4), h = word(desc, w + 5), c = word(desc, w + 6);
    // x-side: x·W_ihᵀ (a row of the table for the first layer), then + b_ih   [G·H]
    if (k == 0 && table != 0) memory.copy(gates, table + <usize>token * <usize>GH * 4, <usize>GH * 4);
    else gemmDot(1, GH, I, 1, x, I, wih, I, true, gates, GH);
    addRowVector(gates, 1, GH, bih);
    if (cell == CELL_GRU) {
      const hg = word(desc, D_HG);
      memory.copy(hg, bhh, <usize>GH * 4); // hg = b_hh + h·W_hhᵀ
      gemmDot(1, GH, H, 1, h, H, whh, H, false, hg, GH);
      gruForward(1, H, gates, hg, gates, h, h, 0); // h updated in place
    } else {
      addRowVector(gates, 1, GH, bhh);
      gemmDot(1, GH, H, 1, h, H, whh, H, false, gates, GH);
      if (cell == CELL_LSTM) lstmForward(1, H, gates, c, h, c, h, peep, 0);
      else rnnForward(1, H, cell == CELL_RNN_RELU, gates, h, h, 0);
    }
    x = h;
    I = H;
  }
  const logits = word(desc, D_LOGITS);
  gemmDot(1, V, H, 1, x, H, word(desc, D_HEAD_W), H, true, logits, V);
  const hb = word(desc, D_HEAD_B);
  if (hb != 0) addRowVector(logits, 1, V, hb);
}

/**
 * Draw the next token from the current logits and, when `advance`, feed it (`decodeStep`):
 * one call per generated character. Mirrors `pickToken` (src/nn/step-decoder.ts) in float64:
 *   log p = l − (m + log Σ e^{l−m});   greedy: the first arg max;
 *   else p_v ∝ exp(log p_v / τ − max) over all tokens, or over the top k (stable order:
 *   descending log p, ties by index), and the token where u·Σp first drops to ≤ 0.
 * `u` is the caller's uniform draw in [0, 1). Writes log p(token) (τ = 1) as f64 at `result`.
 */
export function sampleStep(
  desc: usize, u: f64, temperature: f64, topK: i32, greedy: bool, advance: bool, result: usize,
): i32 {
  const V = load<i32>(desc + (D_V << 2));
  const logits = word(desc, D_LOGITS);
  const logp = word(desc, D_LOGP);
  const probs = word(desc, D_PROBS);
  const order = word(desc, D_ORDER);
  let m: f64 = -Infinity;
  for (let v = 0; v < V; v++) m = max(m, <f64>load<f32>(logits + <usize>(v << 2)));
  let z: f64 = 0;
  for (let v = 0; v < V; v++) z += Math.exp(<f64>load<f32>(logits + <usize>(v << 2)) - m);
  const lz = m + Math.log(z);
  for (let v = 0; v < V; v++) store<f64>(logp + <usize>(v << 3), <f64>load<f32>(logits + <usize>(v << 2)) - lz);
  let next = 0;
  if (greedy) {
    for (let v = 1; v < V; v++) if (f64At(logp, v) > f64At(logp, next)) next = v;
  } else {
    // The allowed tokens in the order the draw walks them.
    let n = V;
    if (topK > 0 && topK < V) {
      // Insertion into a descending list; an equal value goes after the ones already there.
      n = 0;
      for (let v = 0; v < V; v++) {
        const x = f64At(logp, v);
        if (n == topK && !(x > f64At(logp, load<i32>(order + <usize>((n - 1) << 2))))) continue;
        let i = n < topK ? n : n - 1;
        while (i > 0 && x > f64At(logp, load<i32>(order + <usize>((i - 1) << 2)))) {
          store<i32>(order + <usize>(i << 2), load<i32>(order + <usize>((i - 1) << 2)));
          i--;
        }
        store<i32>(order + <usize>(i << 2), v);
        if (n < topK) n++;
      }
    } else {
      for (let v = 0; v < V; v++) store<i32>(order + <usize>(v << 2), v);
    }
    let m2: f64 = -Infinity;
    for (let i = 0; i < n; i++) m2 = max(m2, f64At(logp, load<i32>(order + <usize>(i << 2))) / temperature);
    let z2: f64 = 0;
    for (let i = 0; i < n; i++) {
      const v = load<i32>(order + <usize>(i << 2));
      const p = Math.exp(f64At(logp, v) / temperature - m2);
      store<f64>(probs + <usize>(v << 3), p);
      z2 += p;
    }
    let r = u * z2;
    next = load<i32>(order + <usize>((n - 1) << 2));
    for (let i = 0; i < n; i++) {
      const v = load<i32>(order + <usize>(i << 2));
      r -= f64At(probs, v);
      if (r <= 0) {
        next = v;
        break;
      }
    }
  }
  store<f64>(result, f64At(logp, next));
  if (advance) decodeStep(desc, next);
  return next;
}

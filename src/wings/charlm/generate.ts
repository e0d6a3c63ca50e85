/**
 * Text generation from a character language model: sampling with temperature and top-k,
 * greedy decoding, and beam search for the most probable continuation. Every result
 * reports its log-probability under the model (temperature 1) and the per-character
 * perplexity exp(−log p / n).
 *
 * ```ts
 * const g = sample(lm, vocab, { prime: 'The ', length: 200, temperature: 0.8, seed: 1 });
 * console.log(g.text, g.logProb, g.perplexity);
 * const b = beamSearch(lm, vocab, { prime: 'The ', length: 40, width: 8 });
 * ```
 */
import type { CharVocab } from './vocab.js';
import { describeChar } from './vocab.js';
import { logSoftmaxRow, StepDecoder } from '../../nn/step-decoder.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import type { CharLM, RecurrentState } from './model.js';

export interface Generation {
  /** The prime as used (unknown characters removed). */
  prime: string;
  /** The generated continuation. */
  text: string;
  /** Σ log p(c_t | c_<t) of the continuation under the model, in nats. */
  logProb: number;
  /** exp(−logProb / length): the model's perplexity per generated character. */
  perplexity: number;
  /** Prime characters not in the vocabulary (skipped), each once. */
  unknown: string[];
  /** Whether the backend's fused decoding kernel drew the characters (one call each; `StepDecoder`). */
  fused: boolean;
}

export interface SampleOptions {
  prime?: string;
  length: number;
  /** Softmax temperature; 0 means greedy. Default 1. */
  temperature?: number;
  /** Sample only among the k most probable characters (0 = all). Default 0. */
  topK?: number;
  seed?: number;
  greedy?: boolean;
}

/** Encode the prime, reporting unknown characters by name; refuse a prime with nothing known. */
function encodePrime(
  vocab: CharVocab,
  prime: string | undefined,
): { ids: Int32Array; unknown: string[]; used: string } {
  let text = prime ?? '';
  if (text.length === 0) text = vocab.has('\n') ? '\n' : vocab.tokens[0];
  const { ids, unknown } = vocab.encodeKnown(text);
  if (ids.length === 0) {
    throw new KiokuError(
      `the prime has no character the model knows (unknown: ${unknown.map(describeChar).join(', ')})`,
    );
  }
  return { ids, unknown, used: vocab.decode(ids) };
}

/** Run the prime through the model: the logits [V] of the first new character and the state. */
function runPrime(model: CharLM, ids: Int32Array): { logits: Float32Array; state: RecurrentState } {
  model.eval();
  const { logits, state } = model.forward(ids, ids.length, 1);
  const V = model.head.outFeatures;
  return { logits: Float32Array.from(logits.data.subarray((ids.length - 1) * V, ids.length * V)), state };
}

/**
 * A decoder (`StepDecoder`: one fused kernel call per character where the backend has one)
 * started after the prime, for about `tokens` characters.
 */
function primedDecoder(model: CharLM, ids: Int32Array, tokens: number): StepDecoder {
  const { logits, state } = runPrime(model, ids);
  return new StepDecoder(model, { tokens }).start(state, logits);
}

/** Sample (or greedily decode) `length` characters after the prime. */
export function sample(model: CharLM, vocab: CharVocab, o: SampleOptions): Generation {
  const where = 'sample';
  const length = checkNumber(where, 'length', o.length, { min: 1, integer: true });
  const temperature = checkNumber(where, 'temperature', o.temperature ?? 1, { min: 0 });
  const topK = checkNumber(where, 'topK', o.topK ?? 0, { min: 0, integer: true });
  const rule = { temperature, topK, greedy: o.greedy === true || temperature === 0 };
  const rng = new Rng(o.seed ?? 0);
  const p = encodePrime(vocab, o.prime);
  const out = new Int32Array(length);
  let logProb = 0;
  const dec = primedDecoder(model, p.ids, length);
  const fused = dec.fused;
  try {
    // p_v ∝ exp(log p_v / τ), restricted to the top k when asked (`pickToken`).
    for (let t = 0; t < length; t++) {
      out[t] = dec.next(rng, rule, t < length - 1);
      logProb += dec.lastLogProb;
    }
  } finally {
    dec.dispose();
  }
  return {
    prime: p.used,
    text: vocab.decode(out),
    logProb,
    perplexity: Math.exp(-logProb / length),
    unknown: p.unknown,
    fused,
  };
}

export interface BeamOptions {
  prime?: string;
  length: number;
  width: number;
  /**
   * Length normalisation exponent α: finished beams are ranked by log p / n^α (Wu et al.
   * 2016 use a similar penalty). Only matters when `stopAt` ends beams early. Default 1.
   */
  lengthPenalty?: number;
  /** A character that ends a beam (e.g. '\n'), or none. */
  stopAt?: string;
}

interface Beam {
  ids: number[];
  logProb: number;
  row: number; // which row of the last batched step this beam continues from
  done: boolean;
}

/**
 * What beam search needs from a language model: log-probabilities of the next token for
 * a batch of beams, each continuing from a row of the previous step. Any model fits —
 * the char LM below, or a hand-built table in tests.
 */
export interface BeamStepper {
  /** log p(next | row's context) for each live beam, after appending `tokens[i]` to row `parents[i]`. */
  step(tokens: Int32Array, parents: number[]): Float64Array[];
}

/**
 * Beam search over any `BeamStepper`: keeps the `width` highest-scoring partial sequences,
 * expanding all of them in one batched step per position. `first` is the distribution of
 * the first token. Finished beams (ending in `stop`) are ranked by log p / n^α.
 */
export function beamDecode(
  first: Float64Array,
  stepper: BeamStepper,
  o: { length: number; width: number; lengthPenalty?: number; stop?: number },
): { ids: number[]; logProb: number } {
  const alpha = o.lengthPenalty ?? 1;
  const stop = o.stop ?? -1;
  let logps: Float64Array[] = [first];
  let beams: Beam[] = [{ ids: [], logProb: 0, row: 0, done: false }];
  const score = (b: Beam): number => (b.ids.length === 0 ? 0 : b.logProb / Math.pow(b.ids.length, alpha));
  for (let t = 0; t < o.length; t++) {
    const cands: Beam[] = [];
    for (const b of beams) {
      if (b.done) {
        cands.push(b);
        continue;
      }
      const lp = logps[b.row];
      // Only the top `width` tokens of each beam can survive the cut.
      const top = Array.from(lp.keys())
        .sort((x, y) => lp[y] - lp[x])
        .slice(0, o.width);
      for (const v of top)
        cands.push({ ids: [...b.ids, v], logProb: b.logProb + lp[v], row: b.row, done: v === stop });
    }
    // Unfinished beams all have length t+1, so their raw log p orders them; finished ones use the normalised score.
    cands.sort((a, b) => (a.done || b.done ? score(b) - score(a) : b.logProb - a.logProb));
    beams = cands.slice(0, o.width);
    const live = beams.filter((b) => !b.done);
    if (live.length === 0 || t === o.length - 1) break;
    logps = stepper.step(
      Int32Array.from(live, (b) => b.ids[b.ids.length - 1]),
      live.map((b) => b.row),
    );
    live.forEach((b, i) => (b.row = i));
  }
  beams.sort((a, b) => score(b) - score(a));
  return { ids: beams[0].ids, logProb: beams[0].logProb };
}

/** Gather rows of a [L, B, H] state into a new [L, rows.length, H] state. */
function gatherState(s: RecurrentState, rows: number[]): RecurrentState {
  const pick = (t: Tensor): Tensor => {
    const [L, B, H] = t.shape;
    const out = new Float32Array(L * rows.length * H);
    for (let l = 0; l < L; l++) {
      rows.forEach((r, i) =>
        out.set(t.data.subarray((l * B + r) * H, (l * B + r + 1) * H), (l * rows.length + i) * H),
      );
    }
    return new Tensor(out, [L, rows.length, H]);
  };
  return s.c ? { h: pick(s.h), c: pick(s.c) } : { h: pick(s.h) };
}

/**
 * Beam search (width W) for the most probable continuation of the prime under a char LM:
 * each step runs the live beams as one batch, their states gathered from their parents.
 */
export function beamSearch(model: CharLM, vocab: CharVocab, o: BeamOptions): Generation {
  const where = 'beamSearch';
  const length = checkNumber(where, 'length', o.length, { min: 1, integer: true });
  const width = checkNumber(where, 'width', o.width, { min: 1, integer: true });
  const lengthPenalty = checkNumber(where, 'lengthPenalty', o.lengthPenalty ?? 1, { min: 0 });
  const stop = o.stopAt === undefined ? undefined : vocab.id(o.stopAt);
  const p = encodePrime(vocab, o.prime);
  const first = runPrime(model, p.ids);
  const V = model.head.outFeatures;
  let state = first.state;
  const stepper: BeamStepper = {
    step(tokens, parents) {
      const r = model.forward(tokens, 1, tokens.length, gatherState(state, parents));
      state = r.state;
      return parents.map((_, i) => logSoftmaxRow(r.logits.data, i, V));
    },
  };
  const best = beamDecode(logSoftmaxRow(first.logits, 0, V), stepper, { length, width, lengthPenalty, stop });
  const n = Math.max(1, best.ids.length);
  return {
    prime: p.used,
    text: vocab.decode(best.ids),
    logProb: best.logProb,
    perplexity: Math.exp(-best.logProb / n),
    unknown: p.unknown,
    fused: false,
  };
}

/** Log-probability of `text` following `prime` under the model (for comparing decoders). */
export function scoreContinuation(model: CharLM, vocab: CharVocab, prime: string, text: string): number {
  const p = encodePrime(vocab, prime);
  const ids = vocab.encode(text);
  const dec = primedDecoder(model, p.ids, ids.length);
  let total = 0;
  try {
    for (let t = 0; t < ids.length; t++) {
      total += dec.logProbs()[ids[t]];
      if (t < ids.length - 1) dec.feed(ids[t]);
    }
  } finally {
    dec.dispose();
  }
  return total;
}

/** The k most probable next characters at one position, most probable first. */
export interface NextChars {
  chars: string[];
  probs: number[];
}

/**
 * The model's next-character distribution (top k) after the prime and after every character
 * of `text`: entry t is p(· | prime + text[0..t)), so entry `text.length` is what comes next.
 * Also the log-probability of `text` (as `scoreContinuation`).
 *
 * ```ts
 * const { steps, logProb } = nextCharsAlong(model, vocab, 'The ', 'cat', 5);
 * steps[0].chars; // e.g. ['s', 'c', 'p', …] — what the model expected after 'The '
 * ```
 */
export function nextCharsAlong(
  model: CharLM,
  vocab: CharVocab,
  prime: string,
  text: string,
  k: number,
): { steps: NextChars[]; logProb: number; unknown: string[] } {
  checkNumber('nextCharsAlong', 'k', k, { min: 1, integer: true });
  const p = encodePrime(vocab, prime);
  const { ids, unknown } = vocab.encodeKnown(text);
  const dec = primedDecoder(model, p.ids, ids.length);
  const top = (lp: Float64Array): NextChars => {
    const order = Array.from(lp.keys())
      .sort((a, b) => lp[b] - lp[a])
      .slice(0, k);
    return { chars: order.map((v) => vocab.tokens[v]), probs: order.map((v) => Math.exp(lp[v])) };
  };
  const steps: NextChars[] = [];
  let total = 0;
  try {
    let logp = dec.logProbs();
    steps.push(top(logp));
    for (let t = 0; t < ids.length; t++) {
      total += logp[ids[t]];
      dec.feed(ids[t]);
      logp = dec.logProbs();
      steps.push(top(logp));
    }
  } finally {
    dec.dispose();
  }
  return { steps, logProb: total, unknown: [...new Set([...p.unknown, ...unknown])] };
}

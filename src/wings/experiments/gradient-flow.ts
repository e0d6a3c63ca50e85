/**
 * Gradient flow through time: how ‖∂L_T/∂h_t‖ changes as the error of a loss at the last
 * step travels back to step t, for one cell configuration. This is the lecture's
 * vanishing/exploding-gradient argument measured instead of derived:
 *
 *   ∂L_T/∂h_t = (∏_{k=t+1}^{T} J_k)ᵀ ∂L_T/∂h_T,   J_k = ∂h_k/∂h_{k−1}
 *
 * For the simple RNN, J_k = diag(act'(a_k)) W_hh with tanh' ≤ 1 (σ' ≤ 0.25), so the norm
 * shrinks or grows roughly like ρ(W_hh)^(T−t) (Bengio et al. 1994; Pascanu et al. 2013).
 * The LSTM adds the carousel c_t = f_t ∘ c_{t−1} + i_t ∘ g_t (Hochreiter & Schmidhuber
 * 1997): along it ∂c_t/∂c_{t−1} = diag(f_t), so error survives as long as the forget gate
 * stays near 1 — which its bias decides at initialisation.
 *
 * ```ts
 * const r = measureGradientFlow({ cell: 'lstm', forgetBias: 3, hidden: 128, length: 50 });
 * r.shrink; // ‖∂L/∂h_T‖ / ‖∂L/∂h_1‖, ≈ 3 here; ≈ 4e10 with forgetBias 0
 * ```
 */
import type { InitScheme } from '../../nn/init.js';
import type { RecurrentBase } from '../../nn/recurrent.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkNumber } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { makeCell } from './model.js';
import { cellSpec, cellTakes } from '../../nn/cells.js';
import { eigenvalues, spectralRadius } from './spectral.js';
import { backpropSteps, stepJacobian, type StepTrace, unroll } from './stepwise.js';

export interface FlowConfig {
  cell: string;
  /** Weight init of W_ih and W_hh (default 'pytorch'). */
  init?: InitScheme;
  /** Gain of xavier / orthogonal init; with 'orthogonal' the spectral radius of W_hh. */
  gain?: number;
  /** RNN only (default 'tanh'). */
  nonlinearity?: 'tanh' | 'relu';
  /** LSTM only: forget-gate bias (undefined: PyTorch's random bias). */
  forgetBias?: number;
  /** Hidden units (default 128). */
  hidden?: number;
  /** Input features, random N(0, 1) inputs (default 1). */
  inputSize?: number;
  /** Sequence length T (default 50). */
  length?: number;
  /** Independent sequences; norms are over the whole [B, H] batch (default 8). */
  batch?: number;
  /** Steps at which the Jacobian spectrum is computed, spread over 1…T (default 10; 0 = none). */
  jacobianSteps?: number;
  /** Seed of the weights, inputs and the loss direction (default 0). */
  seed?: number;
}

export interface GateTrack {
  /** 'forget' (LSTM f_t) or 'update' (GRU z_t, the share of h_{t−1} kept). */
  gate: 'forget' | 'update';
  t: number;
  mean: number;
  p10: number;
  p90: number;
}

export interface FlowResult {
  label: string;
  config: Required<Omit<FlowConfig, 'gain' | 'forgetBias' | 'nonlinearity'>> &
    Pick<FlowConfig, 'gain' | 'forgetBias' | 'nonlinearity'>;
  /** ‖∂L_T/∂h_t‖ for t = 1 … T (index t − 1), with ‖∂L_T/∂h_T‖ = 1. */
  gradNorms: number[];
  /** LSTM: ‖∂L_T/∂c_t‖ for t = 1 … T. */
  cellGradNorms: number[] | null;
  /** ‖∂L/∂h_T‖ / ‖∂L/∂h_1‖: > 1 the gradient shrinks going back (vanishing), < 1 it grows. */
  shrink: number;
  /** Spectral radius of each gate block of W_hh ([H, H] each). */
  whh: { block: string; radius: number }[];
  /** Eigenvalues of the block that plays the simple RNN's role (RNN: W_hh; LSTM: g; GRU: n). */
  whhEigen: { block: string; re: number[]; im: number[] };
  /** ρ(∂s_t/∂s_{t−1}) at the sampled steps (s = h, or (h, c) for the LSTM). */
  jacobian: { t: number; radius: number }[];
  /** LSTM forget gate or GRU update gate along the sequence (over all rows and units). */
  gates: GateTrack[] | null;
  verdict: 'vanishing' | 'exploding' | 'carried';
}

/** A short human label: `LSTM · pytorch · b_f=3`, `RNN relu · orthogonal ρ=2`. */
export function flowLabel(c: FlowConfig): string {
  const init = c.init ?? 'pytorch';
  let s = c.cell.toUpperCase();
  if (cellTakes(c.cell, 'nonlinearity')) s += ` ${c.nonlinearity ?? 'tanh'}`;
  s += ` · ${init}`;
  if ((init === 'orthogonal' || init.startsWith('xavier')) && c.gain !== undefined) {
    s += init === 'orthogonal' ? ` ρ=${c.gain}` : ` gain=${c.gain}`;
  }
  if (cellTakes(c.cell, 'forgetBias') && c.forgetBias !== undefined) s += ` · b_f=${c.forgetBias}`;
  return s;
}

/** Shrink factors beyond 10^3 either way are called vanishing / exploding. */
export function verdictOf(shrink: number): FlowResult['verdict'] {
  if (!(shrink < 1e3)) return 'vanishing';
  if (shrink < 1e-3) return 'exploding';
  return 'carried';
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Values of the sigmoid gate in block `block` (LSTM f = 1, GRU z = 1) at every step:
 * σ(W_i x_t + b_i + W_h h_{t−1} + b_h), recomputed from the public weights and the trace.
 */
export function gateTrack(
  layer: RecurrentBase,
  x: Tensor,
  trace: StepTrace,
  block: number,
  gate: GateTrack['gate'],
): GateTrack[] {
  const [T, B, I] = x.shape;
  const H = layer.hiddenSize;
  const w = layer.directionWeights(0, 0);
  const wih = w.wih.value.data;
  const whh = w.whh.value.data;
  const bih = w.bih.value.data;
  const bhh = w.bhh.value.data;
  const out: GateTrack[] = [];
  const vals = new Float64Array(B * H);
  for (let t = 1; t <= T; t++) {
    const h = trace.h[t - 1].data;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) {
        const r = block * H + j; // row of the gate block
        let a = bih[r] + bhh[r];
        for (let k = 0; k < I; k++) a += wih[r * I + k] * x.data[((t - 1) * B + b) * I + k];
        for (let k = 0; k < H; k++) a += whh[r * H + k] * h[b * H + k];
        vals[b * H + j] = sigmoid(a);
      }
    }
    let mean = 0;
    for (const v of vals) mean += v;
    mean /= vals.length;
    const sorted = Float64Array.from(vals).sort();
    out.push({ gate, t, mean, p10: quantile(sorted, 0.1), p90: quantile(sorted, 0.9) });
  }
  return out;
}

function frob(t: Tensor): number {
  let s = 0;
  for (let i = 0; i < t.size; i++) s += t.data[i] * t.data[i];
  return Math.sqrt(s);
}

/** Evenly spread steps in [1, T] (`n` of them, deduplicated). */
export function spreadSteps(T: number, n: number): number[] {
  if (n <= 0) return [];
  if (n === 1) return [T];
  const s = new Set<number>();
  for (let i = 0; i < n; i++) s.add(Math.round(1 + ((T - 1) * i) / (n - 1)));
  return [...s].sort((a, b) => a - b);
}

/**
 * Run one configuration: random N(0, 1) inputs, a loss L_T = ⟨v, h_T⟩ with v a random
 * direction of unit norm, and stepwise BPTT. `onProgress(done, total)` counts steps.
 */
export function measureGradientFlow(
  cfg: FlowConfig,
  onProgress?: (done: number, total: number) => void,
): FlowResult {
  const where = 'measureGradientFlow';
  const config = {
    cell: cfg.cell,
    init: cfg.init ?? 'pytorch',
    hidden: checkNumber(where, 'hidden', cfg.hidden ?? 128, { min: 1, integer: true }),
    inputSize: checkNumber(where, 'inputSize', cfg.inputSize ?? 1, { min: 1, integer: true }),
    length: checkNumber(where, 'length', cfg.length ?? 50, { min: 2, integer: true }),
    batch: checkNumber(where, 'batch', cfg.batch ?? 8, { min: 1, integer: true }),
    jacobianSteps: checkNumber(where, 'jacobianSteps', cfg.jacobianSteps ?? 10, { min: 0, integer: true }),
    seed: checkNumber(where, 'seed', cfg.seed ?? 0, { min: 0, integer: true }),
    ...(cfg.gain !== undefined ? { gain: cfg.gain } : {}),
    ...(cfg.forgetBias !== undefined ? { forgetBias: cfg.forgetBias } : {}),
    ...(cellTakes(cfg.cell, 'nonlinearity') ? { nonlinearity: cfg.nonlinearity ?? 'tanh' } : {}),
  } as FlowResult['config'];
  const { hidden: H, inputSize: I, length: T, batch: B, seed } = config;
  const layer = makeCell({ ...config, inputSize: I, hidden: H, seed });
  const rng = new Rng(seed + 1);
  const x = Tensor.zeros([T, B, I]);
  for (let i = 0; i < x.size; i++) x.data[i] = rng.normal();
  const dhT = Tensor.zeros([1, B, H]);
  for (let i = 0; i < dhT.size; i++) dhT.data[i] = rng.normal();
  const n0 = frob(dhT);
  for (let i = 0; i < dhT.size; i++) dhT.data[i] /= n0;
  const jSteps = spreadSteps(T, config.jacobianSteps);
  const total = T + jSteps.length;
  let done = 0;

  const trace = unroll(layer, x);
  const grads = backpropSteps(layer, x, trace, dhT, undefined, () => onProgress?.(++done, total));
  const gradNorms = grads.dh.slice(1).map(frob);
  const cellGradNorms = grads.dc ? grads.dc.slice(1).map(frob) : null;

  const jacobian = jSteps.map((t) => {
    const J = stepJacobian(layer, x, trace, t);
    const radius = spectralRadius(J.data, J.n);
    onProgress?.(++done, total);
    return { t, radius };
  });
  layer.zeroGrad();

  const w = layer.directionWeights(0, 0);
  const names = cellSpec(cfg.cell).gateNames; // the blocks of W_hh, PyTorch order
  const whh = names.map((block, k) => ({ block, radius: spectralRadius(w.whh.value.data, H, k * H * H) }));
  const eigBlock = cfg.cell === 'lstm' ? 2 : cfg.cell === 'gru' ? 2 : 0;
  const ev = eigenvalues(w.whh.value.data, H, eigBlock * H * H);
  const gates =
    cfg.cell === 'lstm'
      ? gateTrack(layer, x, trace, 1, 'forget')
      : cfg.cell === 'gru'
        ? gateTrack(layer, x, trace, 1, 'update')
        : null;
  const shrink = gradNorms[T - 1] / gradNorms[0];
  return {
    label: flowLabel(cfg),
    config,
    gradNorms,
    cellGradNorms,
    shrink,
    whh,
    whhEigen: { block: names[eigBlock], re: ev.re, im: ev.im },
    jacobian,
    gates,
    verdict: verdictOf(shrink),
  };
}

/**
 * The three models `kioku memory` trains, behind one interface: logits [T, B, O] from
 * inputs [T, B, I], and backward from ∂L/∂logits. The LSTM baseline is the stacked `nn/lstm`
 * layer with a linear read-out (the paper's baseline, Graves et al. 2014 §4), sized to the
 * same parameter count as the memory model it is compared with.
 *
 * ```ts
 * const m = buildMemoryModel({ model: 'ntm', inputSize: 9, outputSize: 8 });
 * const logits = m.forward(x);  m.backward(dLogits);
 * ```
 */
import { Linear } from '../../nn/linear.js';
import { LSTM } from '../../nn/lstm.js';
import { Module } from '../../nn/module.js';
import type { DType, Tensor } from '../../tensor/tensor.js';
import { checkNumber, KiokuError } from '../../util/errors.js';
import { DNC } from './dnc.js';
import { NTM } from './ntm.js';

export const MODEL_KINDS = ['ntm', 'dnc', 'lstm'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export interface MemoryModelConfig {
  model: ModelKind;
  inputSize: number;
  outputSize: number;
  /** Controller (or LSTM baseline) units; LSTM: omit to match `matchParameters`. */
  hiddenSize?: number;
  memorySlots?: number;
  memoryWidth?: number;
  readHeads?: number;
  writeHeads?: number;
  /**
   * NTM: focus of the initial weighting on slot 0 (see `NTMConfig.initFocus`). Default ln N,
   * which starts each head at about half its weight on slot 0: with near-uniform w_0 and a
   * constant memory all slots stay interchangeable and the heads stayed diffuse for 30k
   * training sequences (docs/memory.md).
   */
  initFocus?: number;
  /** LSTM baseline layers (paper: 3). */
  layers?: number;
  /** LSTM baseline: choose hiddenSize so the parameter count is closest to this. */
  matchParameters?: number;
  dtype?: DType;
  seed?: number;
}

/** Defaults: the NTM copy configuration of the paper (controller 100, memory 128 × 20). */
export const MEMORY_DEFAULTS = {
  hiddenSize: 100,
  memorySlots: 128,
  memoryWidth: 20,
  readHeads: 1,
  writeHeads: 1,
  layers: 3,
} as const;

export interface MemoryModel extends Module {
  forward(x: Tensor): Tensor;
  backward(dLogits: Tensor): void;
}

/** Stacked LSTM + linear read-out over the sequence. */
export class LSTMBaseline extends Module implements MemoryModel {
  readonly lstm: LSTM;
  readonly output: Linear;

  constructor(o: {
    inputSize: number;
    outputSize: number;
    hiddenSize: number;
    layers: number;
    dtype?: DType;
    seed?: number;
  }) {
    super();
    this.lstm = new LSTM({
      inputSize: o.inputSize,
      hiddenSize: o.hiddenSize,
      numLayers: o.layers,
      dtype: o.dtype,
      seed: o.seed,
      forgetBias: 1,
    });
    this.output = new Linear({
      inFeatures: o.hiddenSize,
      outFeatures: o.outputSize,
      dtype: o.dtype,
      seed: (o.seed ?? 0) + 1,
    });
  }

  protected override children(): [string, Module][] {
    return [
      ['lstm', this.lstm],
      ['output', this.output],
    ];
  }

  forward(x: Tensor): Tensor {
    return this.output.forward(this.lstm.forward(x).output);
  }

  backward(dLogits: Tensor): void {
    this.lstm.backward(this.output.backward(dLogits));
  }
}

/** Parameters of an L-layer LSTM of width H with a linear read-out. */
export function lstmBaselineParameters(I: number, O: number, H: number, L: number): number {
  let n = 0;
  for (let k = 0; k < L; k++) n += 4 * H * ((k === 0 ? I : H) + H + 2);
  return n + O * (H + 1);
}

/** The LSTM width whose parameter count is closest to `target`. */
export function lstmWidthForParameters(I: number, O: number, L: number, target: number): number {
  let best = 1;
  for (let H = 1; H <= 4096; H++) {
    if (
      Math.abs(lstmBaselineParameters(I, O, H, L) - target) <
      Math.abs(lstmBaselineParameters(I, O, best, L) - target)
    )
      best = H;
    if (lstmBaselineParameters(I, O, H, L) > target) break;
  }
  return best;
}

export function resolveModelConfig(
  c: MemoryModelConfig,
): Required<Omit<MemoryModelConfig, 'matchParameters'>> & { matchParameters?: number } {
  if (!MODEL_KINDS.includes(c.model)) {
    throw new KiokuError(
      `memory model must be one of ${MODEL_KINDS.join(', ')}, got ${JSON.stringify(c.model)}`,
    );
  }
  const r = {
    ...MEMORY_DEFAULTS,
    readHeads: c.model === 'dnc' ? 2 : MEMORY_DEFAULTS.readHeads,
    dtype: 'float32' as DType,
    seed: 0,
    ...Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)),
  } as Required<MemoryModelConfig>;
  if (c.model === 'ntm' && c.initFocus === undefined) r.initFocus = Math.log(r.memorySlots);
  if (c.model === 'lstm' && c.hiddenSize === undefined && c.matchParameters !== undefined) {
    r.hiddenSize = lstmWidthForParameters(r.inputSize, r.outputSize, r.layers, c.matchParameters);
  }
  for (const k of ['hiddenSize', 'memorySlots', 'memoryWidth', 'readHeads', 'layers'] as const) {
    checkNumber('memory model', k, r[k], { min: 1, integer: true });
  }
  return r;
}

export function buildMemoryModel(config: MemoryModelConfig): MemoryModel {
  const c = resolveModelConfig(config);
  const common = {
    inputSize: c.inputSize,
    outputSize: c.outputSize,
    hiddenSize: c.hiddenSize,
    dtype: c.dtype,
    seed: c.seed,
  };
  if (c.model === 'ntm') {
    return new NTM({
      ...common,
      memorySlots: c.memorySlots,
      memoryWidth: c.memoryWidth,
      readHeads: c.readHeads,
      writeHeads: c.writeHeads,
      initFocus: c.initFocus,
    });
  }
  if (c.model === 'dnc') {
    return new DNC({
      ...common,
      memorySlots: c.memorySlots,
      memoryWidth: c.memoryWidth,
      readHeads: c.readHeads,
    });
  }
  return new LSTMBaseline({ ...common, layers: c.layers });
}

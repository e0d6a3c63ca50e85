import { getBackend } from '../tensor/current-backend.js';
import { allocFloat, type DType, expectShape, type FloatArray, Tensor } from '../tensor/tensor.js';
import { checkNumber, KiokuError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { uniform_ } from './init.js';
import { Module, Parameter } from './module.js';

/**
 * Score functions of attention:
 * - `dot`:      score(q, k) = qᵀk                         (Luong et al. 2015, "dot")
 * - `general`:  score(q, k) = qᵀ W_a k                     (Luong et al. 2015, "general")
 * - `additive`: score(q, k) = v_aᵀ tanh(W_q q + W_k k + b) (Bahdanau et al. 2015, eq. 6 / Luong's "concat")
 */
export type AttentionKind = 'dot' | 'general' | 'additive';
export const ATTENTION_KINDS: readonly AttentionKind[] = ['dot', 'general', 'additive'];

export interface AttentionOptions {
  kind: AttentionKind;
  /** Width of a query (the decoder state). */
  queryDim: number;
  /** Width of a key/value (the encoder output; values are the keys). */
  keyDim: number;
  /** Hidden width of the additive score (default = queryDim). */
  attnDim?: number;
  dtype?: DType;
  seed?: number;
}

export interface AttentionResult {
  /** [Tq, B, keyDim]: c_t = Σ_s α_ts k_s */
  context: Tensor;
  /** [Tq, B, Tk]: α_ts = softmax_s(score(q_t, k_s)), 0 on padded keys */
  weights: Tensor;
}

/**
 * Global attention over a padded, time-major memory (the encoder outputs), for all queries
 * at once. Keys past `lengths[b]` get weight exactly 0.
 *
 * | tensor | shape |
 * |---|---|
 * | query | [Tq, B, queryDim] |
 * | keys  | [Tk, B, keyDim]   |
 * | context | [Tq, B, keyDim] |
 * | weights | [Tq, B, Tk]     |
 *
 * Parameters (PyTorch-style names): `general`: `weight` [queryDim, keyDim];
 * `additive`: `query_weight` [A, queryDim], `key_weight` [A, keyDim], `bias` [A], `v` [A].
 *
 * ```ts
 * const attn = new Attention({ kind: 'additive', queryDim: 128, keyDim: 128 });
 * const { context, weights } = attn.forward(decOut, encOut, srcLengths);
 * const { dQuery, dKeys } = attn.backward(dContext);
 * ```
 */
export class Attention extends Module {
  readonly kind: AttentionKind;
  readonly queryDim: number;
  readonly keyDim: number;
  readonly attnDim: number;
  readonly dtype: DType;
  readonly weight: Parameter | null = null;
  readonly queryWeight: Parameter | null = null;
  readonly keyWeight: Parameter | null = null;
  readonly bias: Parameter | null = null;
  readonly v: Parameter | null = null;
  private cache: {
    q: Tensor;
    k: Tensor;
    len: Int32Array;
    alpha: FloatArray; // [Tq, B, Tk]
    kp: FloatArray | null; // general: k·W_aᵀ [Tk, B, Dq]
    e: FloatArray | null; // additive: tanh(...) [Tq, B, Tk, A]
  } | null = null;

  constructor(opts: AttentionOptions) {
    super();
    if (!ATTENTION_KINDS.includes(opts.kind)) {
      throw new KiokuError(
        `Attention: kind must be one of ${ATTENTION_KINDS.join(', ')}, got ${JSON.stringify(opts.kind)}`,
      );
    }
    this.kind = opts.kind;
    this.queryDim = checkNumber('Attention', 'queryDim', opts.queryDim, { min: 1, integer: true });
    this.keyDim = checkNumber('Attention', 'keyDim', opts.keyDim, { min: 1, integer: true });
    this.attnDim = checkNumber('Attention', 'attnDim', opts.attnDim ?? this.queryDim, {
      min: 1,
      integer: true,
    });
    this.dtype = opts.dtype ?? 'float32';
    const rng = new Rng(opts.seed ?? 0);
    if (this.kind === 'dot' && this.queryDim !== this.keyDim) {
      throw new KiokuError(
        `Attention: dot scores need queryDim = keyDim, got ${this.queryDim} and ${this.keyDim}`,
      );
    }
    if (this.kind === 'general') {
      this.weight = Parameter.zeros('weight', [this.queryDim, this.keyDim], this.dtype);
      const s = 1 / Math.sqrt(this.keyDim);
      uniform_(this.weight.value, -s, s, rng);
    } else if (this.kind === 'additive') {
      const A = this.attnDim;
      this.queryWeight = Parameter.zeros('query_weight', [A, this.queryDim], this.dtype);
      this.keyWeight = Parameter.zeros('key_weight', [A, this.keyDim], this.dtype);
      this.bias = Parameter.zeros('bias', [A], this.dtype);
      this.v = Parameter.zeros('v', [A], this.dtype);
      uniform_(this.queryWeight.value, -1 / Math.sqrt(this.queryDim), 1 / Math.sqrt(this.queryDim), rng);
      uniform_(this.keyWeight.value, -1 / Math.sqrt(this.keyDim), 1 / Math.sqrt(this.keyDim), rng);
      uniform_(this.v.value, -1 / Math.sqrt(A), 1 / Math.sqrt(A), rng);
    }
  }

  protected override ownParameters(): Parameter[] {
    if (this.kind === 'general') return [this.weight!];
    if (this.kind === 'additive') return [this.queryWeight!, this.keyWeight!, this.bias!, this.v!];
    return [];
  }

  forward(query: Tensor, keys: Tensor, lengths?: ArrayLike<number>): AttentionResult {
    const where = 'Attention.forward';
    expectShape(where, 'query', query, [null, null, this.queryDim], ['Tq', 'B']);
    const [Tq, B] = query.shape;
    expectShape(where, 'keys', keys, [null, B, this.keyDim], ['Tk']);
    const Tk = keys.shape[0];
    if (query.dtype !== this.dtype || keys.dtype !== this.dtype)
      throw new KiokuError(`${where}: query and keys must be ${this.dtype}`);
    const len = new Int32Array(B).fill(Tk);
    if (lengths) {
      if (lengths.length !== B)
        throw new KiokuError(`${where}: lengths must have B = ${B} entries, got ${lengths.length}`);
      for (let b = 0; b < B; b++) {
        if (!Number.isInteger(lengths[b]) || lengths[b] < 1 || lengths[b] > Tk) {
          throw new KiokuError(`${where}: lengths[${b}] must be an integer in [1, ${Tk}], got ${lengths[b]}`);
        }
        len[b] = lengths[b];
      }
    }
    const be = getBackend();
    const Dq = this.queryDim;
    const Dk = this.keyDim;
    const A = this.attnDim;
    const q = query.data;
    const k = keys.data;
    const scores = allocFloat(this.dtype, Tq * B * Tk);
    let kp: FloatArray | null = null;
    let e: FloatArray | null = null;
    if (this.kind === 'dot' || this.kind === 'general') {
      let kk = k;
      let kd = Dk;
      if (this.kind === 'general') {
        // kp = k · W_aᵀ : [Tk·B, Dk] x [Dk, Dq]
        kp = be.alloc(this.dtype, Tk * B * Dq);
        be.gemm(false, true, Tk * B, Dq, Dk, 1, k, 0, Dk, this.weight!.value.data, 0, Dk, 0, kp, 0, Dq);
        kk = kp;
        kd = Dq;
      }
      for (let t = 0; t < Tq; t++) {
        for (let b = 0; b < B; b++) {
          const qo = (t * B + b) * Dq;
          for (let s = 0; s < len[b]; s++) {
            const ko = (s * B + b) * kd;
            let acc = 0;
            for (let j = 0; j < kd; j++) acc += q[qo + j] * kk[ko + j];
            scores[(t * B + b) * Tk + s] = acc;
          }
        }
      }
    } else {
      const qp = be.alloc(this.dtype, Tq * B * A); // [Tq, B, A]
      be.gemm(false, true, Tq * B, A, Dq, 1, q, 0, Dq, this.queryWeight!.value.data, 0, Dq, 0, qp, 0, A);
      const kpa = be.alloc(this.dtype, Tk * B * A); // [Tk, B, A]
      be.gemm(false, true, Tk * B, A, Dk, 1, k, 0, Dk, this.keyWeight!.value.data, 0, Dk, 0, kpa, 0, A);
      be.addRowVector(kpa, 0, Tk * B, A, this.bias!.value.data, 0);
      e = allocFloat(this.dtype, Tq * B * Tk * A);
      const v = this.v!.value.data;
      for (let t = 0; t < Tq; t++) {
        for (let b = 0; b < B; b++) {
          const qo = (t * B + b) * A;
          for (let s = 0; s < len[b]; s++) {
            const ko = (s * B + b) * A;
            const eo = ((t * B + b) * Tk + s) * A;
            let acc = 0;
            for (let j = 0; j < A; j++) {
              const h = Math.tanh(qp[qo + j] + kpa[ko + j]);
              e[eo + j] = h;
              acc += v[j] * h;
            }
            scores[(t * B + b) * Tk + s] = acc;
          }
        }
      }
    }
    // Masked softmax over keys; padded keys get exactly 0.
    const alpha = scores;
    for (let t = 0; t < Tq; t++) {
      for (let b = 0; b < B; b++) {
        const o = (t * B + b) * Tk;
        let m = -Infinity;
        for (let s = 0; s < len[b]; s++) m = Math.max(m, alpha[o + s]);
        let z = 0;
        for (let s = 0; s < len[b]; s++) {
          const ex = Math.exp(alpha[o + s] - m);
          alpha[o + s] = ex;
          z += ex;
        }
        for (let s = 0; s < len[b]; s++) alpha[o + s] /= z;
        for (let s = len[b]; s < Tk; s++) alpha[o + s] = 0;
      }
    }
    const ctx = allocFloat(this.dtype, Tq * B * Dk);
    for (let t = 0; t < Tq; t++) {
      for (let b = 0; b < B; b++) {
        const co = (t * B + b) * Dk;
        for (let s = 0; s < len[b]; s++) {
          const a = alpha[(t * B + b) * Tk + s];
          const ko = (s * B + b) * Dk;
          for (let j = 0; j < Dk; j++) ctx[co + j] += a * k[ko + j];
        }
      }
    }
    this.cache = { q: query, k: keys, len, alpha, kp, e };
    return { context: new Tensor(ctx, [Tq, B, Dk]), weights: new Tensor(alpha, [Tq, B, Tk]) };
  }

  /**
   * Backward of the last forward. `dContext` [Tq, B, keyDim]; optional `dWeights`
   * [Tq, B, Tk] (e.g. from an attention penalty). With g_s = ∂L/∂α_s:
   *   ∂L/∂score_s = α_s (g_s − Σ_r α_r g_r)   (softmax Jacobian)
   * then through the score function. Parameter gradients accumulate.
   */
  backward(dContext: Tensor, dWeights?: Tensor): { dQuery: Tensor; dKeys: Tensor } {
    const c = this.cache;
    if (!c) throw new KiokuError('Attention.backward: call forward first');
    const [Tq, B] = c.q.shape;
    const Tk = c.k.shape[0];
    const Dq = this.queryDim;
    const Dk = this.keyDim;
    const A = this.attnDim;
    expectShape('Attention.backward', 'dContext', dContext, [Tq, B, Dk]);
    if (dWeights) expectShape('Attention.backward', 'dWeights', dWeights, [Tq, B, Tk]);
    const be = getBackend();
    const { alpha, len } = c;
    const q = c.q.data;
    const k = c.k.data;
    const dc = dContext.data;
    const dq = be.alloc(this.dtype, Tq * B * Dq);
    const dk = be.alloc(this.dtype, Tk * B * Dk);
    const ds = allocFloat(this.dtype, Tq * B * Tk); // ∂L/∂score
    for (let t = 0; t < Tq; t++) {
      for (let b = 0; b < B; b++) {
        const o = (t * B + b) * Tk;
        const co = (t * B + b) * Dk;
        let dot = 0;
        for (let s = 0; s < len[b]; s++) {
          const ko = (s * B + b) * Dk;
          let g = dWeights ? dWeights.data[o + s] : 0;
          const a = alpha[o + s];
          for (let j = 0; j < Dk; j++) {
            g += dc[co + j] * k[ko + j];
            dk[ko + j] += a * dc[co + j]; // context = Σ α k
          }
          ds[o + s] = g;
          dot += a * g;
        }
        for (let s = 0; s < len[b]; s++) ds[o + s] = alpha[o + s] * (ds[o + s] - dot);
      }
    }
    if (this.kind === 'dot' || this.kind === 'general') {
      const kk = this.kind === 'general' ? c.kp! : k;
      const kd = this.kind === 'general' ? Dq : Dk;
      const dkk = this.kind === 'general' ? be.alloc(this.dtype, Tk * B * Dq) : dk;
      for (let t = 0; t < Tq; t++) {
        for (let b = 0; b < B; b++) {
          const qo = (t * B + b) * Dq;
          for (let s = 0; s < len[b]; s++) {
            const g = ds[(t * B + b) * Tk + s];
            if (g === 0) continue;
            const ko = (s * B + b) * kd;
            for (let j = 0; j < kd; j++) {
              dq[qo + j] += g * kk[ko + j];
              dkk[ko + j] += g * q[qo + j];
            }
          }
        }
      }
      if (this.kind === 'general') {
        // kp = k W_aᵀ: dW_a += dkpᵀ k, dk += dkp W_a
        be.gemm(true, false, Dq, Dk, Tk * B, 1, dkk, 0, Dq, k, 0, Dk, 1, this.weight!.grad.data, 0, Dk);
        be.gemm(false, false, Tk * B, Dk, Dq, 1, dkk, 0, Dq, this.weight!.value.data, 0, Dk, 1, dk, 0, Dk);
      }
    } else {
      const e = c.e!;
      const v = this.v!.value.data;
      const dv = this.v!.grad.data;
      const dqp = allocFloat(this.dtype, Tq * B * A);
      const dkp = allocFloat(this.dtype, Tk * B * A);
      for (let t = 0; t < Tq; t++) {
        for (let b = 0; b < B; b++) {
          const qo = (t * B + b) * A;
          for (let s = 0; s < len[b]; s++) {
            const g = ds[(t * B + b) * Tk + s];
            const eo = ((t * B + b) * Tk + s) * A;
            const ko = (s * B + b) * A;
            for (let j = 0; j < A; j++) {
              const h = e[eo + j];
              dv[j] += g * h;
              const de = g * v[j] * (1 - h * h); // tanh' = 1 − h²
              dqp[qo + j] += de;
              dkp[ko + j] += de;
            }
          }
        }
      }
      be.sumRowsAccumulate(dkp, 0, Tk * B, A, this.bias!.grad.data, 0);
      be.gemm(true, false, A, Dq, Tq * B, 1, dqp, 0, A, q, 0, Dq, 1, this.queryWeight!.grad.data, 0, Dq);
      be.gemm(true, false, A, Dk, Tk * B, 1, dkp, 0, A, k, 0, Dk, 1, this.keyWeight!.grad.data, 0, Dk);
      be.gemm(false, false, Tq * B, Dq, A, 1, dqp, 0, A, this.queryWeight!.value.data, 0, Dq, 1, dq, 0, Dq);
      be.gemm(false, false, Tk * B, Dk, A, 1, dkp, 0, A, this.keyWeight!.value.data, 0, Dk, 1, dk, 0, Dk);
    }
    return { dQuery: new Tensor(dq, [Tq, B, Dq]), dKeys: new Tensor(dk, [Tk, B, Dk]) };
  }
}

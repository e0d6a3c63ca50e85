import type {
  Backend,
  GruStepArgs,
  GruStepGradArgs,
  LstmStepArgs,
  LstmStepGradArgs,
  RnnStepArgs,
  RnnStepGradArgs,
  SoftmaxXentArgs,
} from './backend.js';
import { allocFloat, type DType, type FloatArray } from './tensor.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * The reference backend: plain TypeScript loops, written to be read next to the equations.
 * It works in float32 and float64 alike (float64 drives the finite-difference gradient
 * checks) and is the yardstick every fast kernel is tested against.
 */
export class ReferenceBackend implements Backend {
  readonly name = 'js';

  alloc(dtype: DType, n: number): FloatArray {
    return allocFloat(dtype, n);
  }

  gemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: FloatArray,
    aOff: number,
    lda: number,
    B: FloatArray,
    bOff: number,
    ldb: number,
    beta: number,
    C: FloatArray,
    cOff: number,
    ldc: number,
  ): void {
    // C = beta·C first (beta = 0 overwrites, as BLAS does).
    for (let i = 0; i < M; i++) {
      const row = cOff + i * ldc;
      if (beta === 0) C.fill(0, row, row + N);
      else if (beta !== 1) for (let j = 0; j < N; j++) C[row + j] *= beta;
    }
    if (alpha === 0 || K === 0) return;
    if (!transB) {
      // Row of C += a_ik · row k of B: unit-stride inner loop over j.
      for (let i = 0; i < M; i++) {
        const cRow = cOff + i * ldc;
        for (let k = 0; k < K; k++) {
          const a = alpha * (transA ? A[aOff + k * lda + i] : A[aOff + i * lda + k]);
          if (a === 0) continue;
          const bRow = bOff + k * ldb;
          for (let j = 0; j < N; j++) C[cRow + j] += a * B[bRow + j];
        }
      }
    } else {
      // B stored [N, K]: C[i, j] += alpha · dot(op(A) row i, B row j).
      for (let i = 0; i < M; i++) {
        const cRow = cOff + i * ldc;
        for (let j = 0; j < N; j++) {
          const bRow = bOff + j * ldb;
          let s = 0;
          if (transA) for (let k = 0; k < K; k++) s += A[aOff + k * lda + i] * B[bRow + k];
          else {
            const aRow = aOff + i * lda;
            for (let k = 0; k < K; k++) s += A[aRow + k] * B[bRow + k];
          }
          C[cRow + j] += alpha * s;
        }
      }
    }
  }

  addRowVector(y: FloatArray, yOff: number, rows: number, cols: number, v: FloatArray, vOff: number): void {
    for (let r = 0; r < rows; r++) {
      const o = yOff + r * cols;
      for (let j = 0; j < cols; j++) y[o + j] += v[vOff + j];
    }
  }

  sumRowsAccumulate(
    x: FloatArray,
    xOff: number,
    rows: number,
    cols: number,
    out: FloatArray,
    outOff: number,
  ): void {
    for (let r = 0; r < rows; r++) {
      const o = xOff + r * cols;
      for (let j = 0; j < cols; j++) out[outOff + j] += x[o + j];
    }
  }

  lstmStepForward(a: LstmStepArgs): void {
    const { B, H, gates, cPrev, hPrev, c, h, peep, mask } = a;
    for (let b = 0; b < B; b++) {
      const g0 = a.gOff + b * 4 * H; // this row's [i | f | g | o] blocks
      const s = b * H;
      if (mask !== null && mask[b] === 0) {
        for (let j = 0; j < H; j++) {
          c[a.cOff + s + j] = cPrev[a.cPrevOff + s + j];
          h[a.hOff + s + j] = hPrev[a.hPrevOff + s + j];
        }
        gates.fill(0, g0, g0 + 4 * H);
        continue;
      }
      for (let j = 0; j < H; j++) {
        const cp = cPrev[a.cPrevOff + s + j];
        const pi = peep ? peep[a.peepOff + j] * cp : 0;
        const pf = peep ? peep[a.peepOff + H + j] * cp : 0;
        const ig = sigmoid(gates[g0 + j] + pi);
        const fg = sigmoid(gates[g0 + H + j] + pf);
        const gg = Math.tanh(gates[g0 + 2 * H + j]);
        const ct = fg * cp + ig * gg;
        const po = peep ? peep[a.peepOff + 2 * H + j] * ct : 0;
        const og = sigmoid(gates[g0 + 3 * H + j] + po);
        gates[g0 + j] = ig;
        gates[g0 + H + j] = fg;
        gates[g0 + 2 * H + j] = gg;
        gates[g0 + 3 * H + j] = og;
        c[a.cOff + s + j] = ct;
        h[a.hOff + s + j] = og * Math.tanh(ct);
      }
    }
  }

  lstmStepBackward(a: LstmStepGradArgs): void {
    const { B, H, gates, cPrev, c, dh, dc, dgates, dhPrev, peep, dpeep, mask } = a;
    for (let b = 0; b < B; b++) {
      const g0 = a.gOff + b * 4 * H;
      const d0 = a.dgOff + b * 4 * H;
      const s = b * H;
      if (mask !== null && mask[b] === 0) {
        // State was carried unchanged: dc passes through as it is, dh goes to h_{t-1}.
        for (let j = 0; j < H; j++) dhPrev[a.dhPrevOff + s + j] = dh[a.dhOff + s + j];
        dgates.fill(0, d0, d0 + 4 * H);
        continue;
      }
      for (let j = 0; j < H; j++) {
        const ig = gates[g0 + j];
        const fg = gates[g0 + H + j];
        const gg = gates[g0 + 2 * H + j];
        const og = gates[g0 + 3 * H + j];
        const cp = cPrev[a.cPrevOff + s + j];
        const ct = c[a.cOff + s + j];
        const tc = Math.tanh(ct);
        const dht = dh[a.dhOff + s + j];
        const dao = dht * tc * og * (1 - og);
        let dct = dc[a.dcOff + s + j] + dht * og * (1 - tc * tc);
        if (peep) dct += dao * peep[a.peepOff + 2 * H + j];
        const dai = dct * gg * ig * (1 - ig);
        const dag = dct * ig * (1 - gg * gg);
        const daf = dct * cp * fg * (1 - fg);
        let dcp = dct * fg;
        if (peep) {
          dcp += dai * peep[a.peepOff + j] + daf * peep[a.peepOff + H + j];
          if (dpeep) {
            dpeep[a.dpeepOff + j] += dai * cp;
            dpeep[a.dpeepOff + H + j] += daf * cp;
            dpeep[a.dpeepOff + 2 * H + j] += dao * ct;
          }
        }
        dgates[d0 + j] = dai;
        dgates[d0 + H + j] = daf;
        dgates[d0 + 2 * H + j] = dag;
        dgates[d0 + 3 * H + j] = dao;
        dc[a.dcOff + s + j] = dcp;
        dhPrev[a.dhPrevOff + s + j] = 0;
      }
    }
  }

  gruStepForward(a: GruStepArgs): void {
    const { B, H, xg, hg, gates, hPrev, h, mask } = a;
    for (let b = 0; b < B; b++) {
      const x0 = a.xgOff + b * 3 * H;
      const h0 = a.hgOff + b * 3 * H;
      const g0 = a.gOff + b * 3 * H;
      const s = b * H;
      if (mask !== null && mask[b] === 0) {
        for (let j = 0; j < H; j++) h[a.hOff + s + j] = hPrev[a.hPrevOff + s + j];
        gates.fill(0, g0, g0 + 3 * H);
        continue;
      }
      for (let j = 0; j < H; j++) {
        const r = sigmoid(xg[x0 + j] + hg[h0 + j]);
        const z = sigmoid(xg[x0 + H + j] + hg[h0 + H + j]);
        const n = Math.tanh(xg[x0 + 2 * H + j] + r * hg[h0 + 2 * H + j]);
        gates[g0 + j] = r;
        gates[g0 + H + j] = z;
        gates[g0 + 2 * H + j] = n;
        h[a.hOff + s + j] = (1 - z) * n + z * hPrev[a.hPrevOff + s + j];
      }
    }
  }

  gruStepBackward(a: GruStepGradArgs): void {
    const { B, H, gates, hg, hPrev, dh, dxg, dhg, dhPrev, mask } = a;
    for (let b = 0; b < B; b++) {
      const g0 = a.gOff + b * 3 * H;
      const h0 = a.hgOff + b * 3 * H;
      const dx0 = a.dxgOff + b * 3 * H;
      const dh0 = a.dhgOff + b * 3 * H;
      const s = b * H;
      if (mask !== null && mask[b] === 0) {
        for (let j = 0; j < H; j++) dhPrev[a.dhPrevOff + s + j] = dh[a.dhOff + s + j];
        dxg.fill(0, dx0, dx0 + 3 * H);
        dhg.fill(0, dh0, dh0 + 3 * H);
        continue;
      }
      for (let j = 0; j < H; j++) {
        const r = gates[g0 + j];
        const z = gates[g0 + H + j];
        const n = gates[g0 + 2 * H + j];
        const hp = hPrev[a.hPrevOff + s + j];
        const dht = dh[a.dhOff + s + j];
        const dnPre = dht * (1 - z) * (1 - n * n);
        const dzPre = dht * (hp - n) * z * (1 - z);
        const drPre = dnPre * hg[h0 + 2 * H + j] * r * (1 - r);
        dxg[dx0 + j] = drPre;
        dxg[dx0 + H + j] = dzPre;
        dxg[dx0 + 2 * H + j] = dnPre;
        dhg[dh0 + j] = drPre;
        dhg[dh0 + H + j] = dzPre;
        dhg[dh0 + 2 * H + j] = dnPre * r;
        dhPrev[a.dhPrevOff + s + j] = dht * z;
      }
    }
  }

  rnnStepForward(a: RnnStepArgs): void {
    const { B, H, relu, pre, hPrev, h, mask } = a;
    for (let b = 0; b < B; b++) {
      const s = b * H;
      const masked = mask !== null && mask[b] === 0;
      for (let j = 0; j < H; j++) {
        if (masked) h[a.hOff + s + j] = hPrev[a.hPrevOff + s + j];
        else {
          const x = pre[a.preOff + s + j];
          h[a.hOff + s + j] = relu ? (x > 0 ? x : 0) : Math.tanh(x);
        }
      }
    }
  }

  rnnStepBackward(a: RnnStepGradArgs): void {
    const { B, H, relu, h, dh, dpre, dhPrev, mask } = a;
    for (let b = 0; b < B; b++) {
      const s = b * H;
      const masked = mask !== null && mask[b] === 0;
      for (let j = 0; j < H; j++) {
        const d = dh[a.dhOff + s + j];
        if (masked) {
          dpre[a.dpreOff + s + j] = 0;
          dhPrev[a.dhPrevOff + s + j] = d;
        } else {
          const y = h[a.hOff + s + j];
          dpre[a.dpreOff + s + j] = relu ? (y > 0 ? d : 0) : d * (1 - y * y);
          dhPrev[a.dhPrevOff + s + j] = 0;
        }
      }
    }
  }

  softmaxCrossEntropy(a: SoftmaxXentArgs): { lossSum: number; weightSum: number } {
    const { N, V, logits, targets, ignoreIndex, weights, dlogits, scale } = a;
    let lossSum = 0;
    let weightSum = 0;
    for (let n = 0; n < N; n++) {
      const o = a.logitsOff + n * V;
      const d = a.dOff + n * V;
      const t = targets[n];
      const w = weights ? weights[n] : 1;
      if (t === ignoreIndex || w === 0) {
        if (dlogits) dlogits.fill(0, d, d + V);
        continue;
      }
      // log-sum-exp with the max subtracted, so large logits do not overflow.
      let m = -Infinity;
      for (let v = 0; v < V; v++) if (logits[o + v] > m) m = logits[o + v];
      let z = 0;
      for (let v = 0; v < V; v++) z += Math.exp(logits[o + v] - m);
      const logZ = m + Math.log(z);
      lossSum += w * (logZ - logits[o + t]);
      weightSum += w;
      if (dlogits) {
        const k = scale * w;
        for (let v = 0; v < V; v++) dlogits[d + v] = k * Math.exp(logits[o + v] - logZ);
        dlogits[d + t] -= k;
      }
    }
    return { lossSum, weightSum };
  }
}

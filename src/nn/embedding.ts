import { getBackend } from '../tensor/current-backend.js';
import { type DType, Tensor } from '../tensor/tensor.js';
import { checkNumber, KiokuError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { normal_ } from './init.js';
import { Module, Parameter } from './module.js';

export interface EmbeddingOptions {
  numEmbeddings: number;
  embeddingDim: number;
  /** Index whose row stays zero and receives no gradient (PyTorch's padding_idx). */
  paddingIdx?: number;
  dtype?: DType;
  seed?: number;
}

/**
 * Lookup table (PyTorch `nn.Embedding`: `weight` [num, dim], init N(0, 1)).
 *
 * ```ts
 * const emb = new Embedding({ numEmbeddings: 80, embeddingDim: 32 });
 * const x = emb.forward(ids, [T, B]); // ids Int32Array of T·B -> x [T, B, 32]
 * emb.backward(dx);                   // scatters into emb.weight.grad
 * ```
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  readonly dtype: DType;
  readonly weight: Parameter;
  private cacheIds: Int32Array | null = null;

  constructor(opts: EmbeddingOptions) {
    super();
    this.numEmbeddings = checkNumber('Embedding', 'numEmbeddings', opts.numEmbeddings, {
      min: 1,
      integer: true,
    });
    this.embeddingDim = checkNumber('Embedding', 'embeddingDim', opts.embeddingDim, {
      min: 1,
      integer: true,
    });
    this.paddingIdx =
      opts.paddingIdx === undefined
        ? null
        : checkNumber('Embedding', 'paddingIdx', opts.paddingIdx, {
            min: 0,
            max: this.numEmbeddings - 1,
            integer: true,
          });
    this.dtype = opts.dtype ?? 'float32';
    this.weight = Parameter.zeros('weight', [this.numEmbeddings, this.embeddingDim], this.dtype);
    normal_(this.weight.value, 1, new Rng(opts.seed ?? 0));
    if (this.paddingIdx !== null) {
      this.weight.value.data.fill(
        0,
        this.paddingIdx * this.embeddingDim,
        (this.paddingIdx + 1) * this.embeddingDim,
      );
    }
  }

  protected override ownParameters(): Parameter[] {
    return [this.weight];
  }

  /** ids (any integers in [0, num)) with the given leading shape -> [...shape, dim]. */
  forward(ids: Int32Array | readonly number[], shape: readonly number[] = [ids.length]): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    if (n !== ids.length)
      throw new KiokuError(`Embedding.forward: ${ids.length} ids do not fill shape [${shape.join(', ')}]`);
    const D = this.embeddingDim;
    const w = this.weight.value.data;
    const out = getBackend().alloc(this.dtype, n * D);
    const idArr = Int32Array.from(ids);
    for (let i = 0; i < n; i++) {
      const id = idArr[i];
      if (!(id >= 0 && id < this.numEmbeddings)) {
        throw new KiokuError(
          `Embedding.forward: id ${id} at position ${i} is outside [0, ${this.numEmbeddings})`,
        );
      }
      out.set(w.subarray(id * D, id * D + D), i * D);
    }
    this.cacheIds = idArr;
    return new Tensor(out, [...shape, D]);
  }

  /** Scatter-add dy rows into the rows of weight.grad that forward read. */
  backward(dy: Tensor): void {
    const ids = this.cacheIds;
    if (!ids) throw new KiokuError('Embedding.backward: call forward first');
    const D = this.embeddingDim;
    if (dy.size !== ids.length * D) {
      throw new KiokuError(`Embedding.backward: dy must have ${ids.length}×${D} elements, got ${dy.size}`);
    }
    const g = this.weight.grad.data;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === this.paddingIdx) continue;
      const o = id * D;
      for (let j = 0; j < D; j++) g[o + j] += dy.data[i * D + j];
    }
  }
}

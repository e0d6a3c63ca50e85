/**
 * The WASM backend's fused decoder (`FusedDecoder` of decoder-kernels.ts) over the kernels
 * of `asm/sample.ts`: one `sampleStep` call per generated token.
 *
 * The decoder owns one raw block of the WASM memory: the descriptor the kernel reads, the
 * state of every layer, the logits, the scratch of the softmax and the draw, the optional
 * table of first-layer input products, and a copy of every weight array that is not already
 * in the WASM memory (weights packed there by `packParameters` are read in place).
 */
import { KiokuError } from '../util/errors.js';
import type { DecoderCell, DecoderSpec, FusedDecoder } from './decoder-kernels.js';
import type { FloatArray } from './tensor.js';
import type { WasmHeap } from './wasm-heap.js';
import type { KernelExports } from './wasm-module.js';

/** Cell kinds as `asm/sample.ts` numbers them (CELL_*). */
const DECODER_CELLS: Record<DecoderCell, number> = { 'rnn-tanh': 0, 'rnn-relu': 1, lstm: 2, gru: 3 };
const GATES: Record<DecoderCell, number> = { 'rnn-tanh': 1, 'rnn-relu': 1, lstm: 4, gru: 3 };

// Descriptor words: the D_* constants of asm/sample.ts.
const D_CELL = 0;
const D_LAYERS = 1;
const D_H = 2;
const D_E = 3;
const D_V = 4;
const D_EMB = 5;
const D_TABLE = 6;
const D_HEAD_W = 7;
const D_HEAD_B = 8;
const D_LOGITS = 9;
const D_GATES = 10;
const D_HG = 11;
const D_LOGP = 12;
const D_PROBS = 13;
const D_ORDER = 14;
const D_LAYER0 = 16;
const D_LAYER_WORDS = 8;

/** `sgemm`'s DOT path (GEMM_DOT in wasm-backend.ts; not imported, to keep the import graph a tree). */
const PATH_DOT = 2;

const align = (n: number): number => Math.ceil(n / 64) * 64;

/** Blocks of decoders dropped without `dispose()` go back when the decoder is collected. */
const leaked = new FinalizationRegistry<{ heap: WasmHeap; addr: number; bytes: number }>((b) =>
  b.heap.freeRaw(b.addr, b.bytes),
);

class WasmDecoder implements FusedDecoder {
  readonly logits: Float32Array;
  private readonly desc: number;
  private readonly result: number;
  private readonly h: number;
  private readonly c: number;
  private live = true;
  private readonly token = {};

  constructor(
    private readonly heap: WasmHeap,
    private readonly k: KernelExports,
    private readonly spec: DecoderSpec,
    private readonly L: number,
    private readonly H: number,
    private readonly addr: number,
    private readonly bytes: number,
    layout: Map<string, number>,
  ) {
    const at = (name: string): number => layout.get(name) ?? 0;
    this.desc = at('desc');
    this.result = at('result');
    this.h = at('h');
    this.c = at('c');
    this.logits = new Float32Array(heap.memory.buffer, at('logits'), spec.vocabSize);
    leaked.register(this, { heap, addr, bytes }, this.token);
  }

  private check(): void {
    if (!this.live) throw new KiokuError('fused decoder: used after dispose()');
  }

  start(h: FloatArray, c: FloatArray | null, logits: ArrayLike<number>): void {
    this.check();
    const n = this.L * this.H;
    const V = this.spec.vocabSize;
    if (h.length !== n) throw new KiokuError(`fused decoder: h must have ${n} elements, got ${h.length}`);
    if (logits.length !== V)
      throw new KiokuError(`fused decoder: logits must have ${V} elements, got ${logits.length}`);
    const f32 = this.heap.f32;
    f32.set(h, this.h >> 2);
    if (this.c !== 0) {
      if (c === null || c.length !== n)
        throw new KiokuError(`fused decoder: c must have ${n} elements, got ${c?.length ?? 'none'}`);
      f32.set(c, this.c >> 2);
    }
    for (let v = 0; v < V; v++) this.logits[v] = logits[v];
  }

  private checkToken(token: number): void {
    if (!Number.isInteger(token) || token < 0 || token >= this.spec.vocabSize)
      throw new KiokuError(`fused decoder: token ${token} is outside [0, ${this.spec.vocabSize})`);
  }

  feed(token: number): void {
    this.check();
    this.checkToken(token);
    this.k.decodeStep(this.desc, token);
  }

  sample(u: number, temperature: number, topK: number, greedy: boolean, advance: boolean): number {
    this.check();
    return this.k.sampleStep(this.desc, u, temperature, topK | 0, +greedy, +advance, this.result);
  }

  get lastLogProb(): number {
    return this.heap.f64[this.result >> 3];
  }

  state(): { h: Float32Array; c: Float32Array | null } {
    this.check();
    const n = this.L * this.H;
    const f32 = this.heap.f32;
    return {
      h: f32.slice(this.h >> 2, (this.h >> 2) + n),
      c: this.c === 0 ? null : f32.slice(this.c >> 2, (this.c >> 2) + n),
    };
  }

  dispose(): void {
    if (!this.live) return;
    this.live = false;
    leaked.unregister(this.token);
    this.heap.freeRaw(this.addr, this.bytes);
  }
}

/**
 * A fused decoder for `spec` on this WASM memory, or null when the kernel does not take it
 * (float64 weights; shapes that do not fit the spec).
 */
export function createWasmDecoder(
  heap: WasmHeap,
  k: KernelExports,
  work: number,
  spec: DecoderSpec,
): FusedDecoder | null {
  const L = spec.layers.length;
  const H = spec.hiddenSize;
  const E = spec.embeddingDim;
  const V = spec.vocabSize;
  const G = GATES[spec.cell];
  const GH = G * H;
  if (L < 1 || H < 1 || E < 1 || V < 1) return null;
  const arrays: [string, FloatArray | null, number][] = [
    ['emb', spec.embedding, V * E],
    ['headW', spec.headWeight, V * H],
    ['headB', spec.headBias, V],
  ];
  spec.layers.forEach((w, l) => {
    const I = l === 0 ? E : H;
    arrays.push(
      [`wih${l}`, w.wih, GH * I],
      [`whh${l}`, w.whh, GH * H],
      [`bih${l}`, w.bih, GH],
      [`bhh${l}`, w.bhh, GH],
      [`peep${l}`, spec.cell === 'lstm' ? w.peep : null, 3 * H],
    );
  });
  for (const [name, a, n] of arrays) {
    if (a === null) continue;
    if (!(a instanceof Float32Array)) return null; // float64: the layers' own path
    if (a.length !== n)
      throw new KiokuError(`fused decoder: ${name} must have ${n} elements, got ${a.length}`);
  }
  // The block: every piece 64-byte aligned, weights outside the WASM memory copied in.
  const layout = new Map<string, number>();
  let bytes = 0;
  const place = (name: string, n: number): void => {
    layout.set(name, bytes);
    bytes += align(n);
  };
  place('desc', 4 * (D_LAYER0 + D_LAYER_WORDS * L));
  place('result', 8);
  place('h', 4 * L * H);
  if (spec.cell === 'lstm') place('c', 4 * L * H);
  place('logits', 4 * V);
  place('gates', 4 * GH);
  if (spec.cell === 'gru') place('hg', 4 * GH);
  place('logp', 8 * V);
  place('probs', 8 * V);
  place('order', 4 * V);
  const table = spec.tokens >= V;
  if (table) place('table', 4 * V * GH);
  const copied: [string, Float32Array][] = [];
  for (const [name, a] of arrays) {
    if (a instanceof Float32Array && !heap.contains(a)) {
      place(name, 4 * a.length);
      copied.push([name, a]);
    }
  }
  const addr = heap.tryAllocRaw(bytes);
  if (addr < 0) return null;
  for (const [name, off] of layout) layout.set(name, addr + off);
  const ptr = (name: string, a: FloatArray | null): number => {
    if (a === null) return 0;
    return layout.get(name) ?? a.byteOffset; // copied, or in place
  };
  // State and scratch start at zero (a recycled block holds old bytes); then the copies.
  k.zero(addr, bytes);
  const f32 = heap.f32;
  for (const [name, a] of copied) f32.set(a, (layout.get(name) ?? 0) >> 2);
  const i32 = heap.i32;
  const d = (layout.get('desc') ?? 0) >> 2;
  const words: [number, number][] = [
    [D_CELL, DECODER_CELLS[spec.cell]],
    [D_LAYERS, L],
    [D_H, H],
    [D_E, E],
    [D_V, V],
    [D_EMB, ptr('emb', spec.embedding)],
    [D_TABLE, layout.get('table') ?? 0],
    [D_HEAD_W, ptr('headW', spec.headWeight)],
    [D_HEAD_B, ptr('headB', spec.headBias)],
    [D_LOGITS, layout.get('logits') ?? 0],
    [D_GATES, layout.get('gates') ?? 0],
    [D_HG, layout.get('hg') ?? 0],
    [D_LOGP, layout.get('logp') ?? 0],
    [D_PROBS, layout.get('probs') ?? 0],
    [D_ORDER, layout.get('order') ?? 0],
  ];
  const h0 = layout.get('h') ?? 0;
  const c0 = layout.get('c') ?? 0;
  spec.layers.forEach((w, l) => {
    const b = D_LAYER0 + D_LAYER_WORDS * l;
    words.push(
      [b, ptr(`wih${l}`, w.wih)],
      [b + 1, ptr(`whh${l}`, w.whh)],
      [b + 2, ptr(`bih${l}`, w.bih)],
      [b + 3, ptr(`bhh${l}`, w.bhh)],
      [b + 4, spec.cell === 'lstm' ? ptr(`peep${l}`, w.peep) : 0],
      [b + 5, h0 + 4 * l * H],
      [b + 6, c0 === 0 ? 0 : c0 + 4 * l * H],
    );
  });
  for (const [i, v] of words) i32[d + i] = v;
  if (table) {
    // table[v] = E[v]·W_ihᵀ for every token, by the same DOT arithmetic as the step's own product.
    const emb = ptr('emb', spec.embedding);
    const wih = ptr('wih0', spec.layers[0].wih);
    k.sgemm(PATH_DOT, 0, 1, V, GH, E, 1, emb, E, wih, E, 0, layout.get('table') ?? 0, GH, work);
  }
  return new WasmDecoder(heap, k, spec, L, H, addr, bytes, layout);
}

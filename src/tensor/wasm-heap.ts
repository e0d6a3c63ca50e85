import { KiokuError } from '../util/errors.js';

/**
 * A Float32Array that lives in the WASM backend's memory. It is an ordinary Float32Array
 * (every API and every reference kernel accepts it); the one addition is `owner`, a token
 * that keeps its block of memory reserved. `subarray` hands the token on, so a view taken
 * from it keeps the block alive too; the block returns to the heap once no array carrying
 * the token is reachable (a FinalizationRegistry watches the token).
 *
 * Caveat: `new Float32Array(a.buffer, a.byteOffset, n)` makes a view *without* the token;
 * keep `a` (or a `subarray` of it) reachable for as long as such a view is used.
 */
export class WasmFloat32Array extends Float32Array {
  owner: object | undefined = undefined;

  override subarray(begin?: number, end?: number): WasmFloat32Array {
    const v = super.subarray(begin, end) as WasmFloat32Array;
    v.owner = this.owner;
    return v;
  }
}

/** Every block starts on a cache line, so SIMD loads of a row never straddle two blocks. */
const ALIGN = 64;
const PAGE = 65536;

function alignUp(n: number, a = ALIGN): number {
  return Math.ceil(n / a) * a;
}

interface Block {
  addr: number;
  size: number;
}

/** What a WasmFloat32Array's `owner` is: the block (null once released) and its ballast. */
interface Owner {
  ballast: ArrayBuffer | Uint8Array;
  block: Block | null;
}

interface NodeBufferCtor {
  allocUnsafeSlow(n: number): Uint8Array;
}

/**
 * External-memory ballast of `bytes` that is never written. Node's `allocUnsafeSlow` skips
 * zero-filling (so no page is touched, and none becomes resident); elsewhere a plain
 * ArrayBuffer, which engines map lazily.
 */
function ballast(bytes: number): ArrayBuffer | Uint8Array {
  const B = (globalThis as { Buffer?: NodeBufferCtor }).Buffer;
  return B ? B.allocUnsafeSlow(bytes) : new ArrayBuffer(bytes);
}

/**
 * The WASM backend's memory and its allocator.
 *
 * Why a shared memory: growing a plain `WebAssembly.Memory` detaches its ArrayBuffer, so
 * every Float32Array already handed out would silently become empty. A shared memory's
 * SharedArrayBuffer is never detached: growth makes a *new*, longer SharedArrayBuffer
 * object over the same bytes, and old views stay valid. So with a shared memory the heap
 * grows on demand (up to 4 GiB); every buffer object it has produced is remembered, so
 * `contains` recognises views made before and after any growth. The same shared memory is
 * what worker threads run on.
 *
 * Where SharedArrayBuffer is missing (a page that is not cross-origin isolated) the memory
 * is plain and never grown: `fixedBytes` are reserved at start (untouched pages cost no
 * RAM in current engines), and `alloc` falls back to ordinary JS arrays once it is full
 * (kernels still accept those, by copying).
 *
 * Blocks are recycled when their arrays are garbage-collected (a FinalizationRegistry
 * watches each array's `owner` token), or at once with `release`. Two engine facts shape
 * this:
 * - Engines collect according to JS heap pressure, which tiny view objects hardly create.
 *   So each block's token carries a same-sized, never-written ArrayBuffer "ballast": the
 *   engine counts it as external memory and collects dead arrays as it would dead
 *   ArrayBuffers of that size (its pages are never touched, so it costs no RAM).
 * - Finalization callbacks run only when the event loop turns. A long *synchronous* loop
 *   therefore recycles nothing until it yields (`await` between training steps is enough);
 *   past `softCapBytes` of blocks, `allocF32` hands out ordinary JS arrays instead (still
 *   correct, kernels copy them in and out) rather than growing without bound.
 */
export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  private readonly buffers = new Set<ArrayBufferLike>();
  private readonly freeList: Block[] = []; // sorted by address, coalesced
  private top: number; // first never-used byte
  private readonly limit: number; // bytes this heap may use
  private readonly registry: FinalizationRegistry<Block>;
  private _f32!: Float32Array;
  private _i32!: Int32Array;
  private _u8!: Uint8Array;
  private _f64!: Float64Array;
  /** Bytes in blocks not yet given back (raw and tracked). */
  liveBytes = 0;
  /** Bytes in blocks handed out by `allocF32` and not yet recycled. */
  trackedBytes = 0;
  /** High-water mark of the memory's size in bytes. */
  peakBytes = 0;

  /** Bytes of GC-tracked blocks past which `allocF32` returns ordinary JS arrays. */
  softCapBytes: number;
  /** Arrays handed out as ordinary JS arrays because the heap was full or past its soft cap. */
  fallbackCount = 0;

  constructor(opts: {
    shared: boolean;
    base: number;
    initialBytes?: number;
    fixedBytes?: number;
    maxBytes?: number;
    softCapBytes?: number;
  }) {
    this.shared = opts.shared;
    this.softCapBytes = opts.softCapBytes ?? 2 * 1024 * 1024 * 1024;
    if (opts.shared) {
      const initial = Math.ceil(Math.max(opts.initialBytes ?? 32 << 20, opts.base + PAGE) / PAGE);
      this.limit = opts.maxBytes ?? 4 * 1024 * 1024 * 1024 - PAGE;
      this.memory = new WebAssembly.Memory({ initial, maximum: 65536, shared: true });
    } else {
      const bytes = opts.fixedBytes ?? 1 << 30;
      this.limit = bytes;
      this.memory = new WebAssembly.Memory({
        initial: Math.ceil(bytes / PAGE),
        maximum: Math.ceil(bytes / PAGE),
      });
    }
    this.top = alignUp(Math.max(opts.base, ALIGN));
    this.refreshViews();
    this.registry = new FinalizationRegistry((b: Block) => this.untrack(b));
  }

  private refreshViews(): void {
    const buf = this.memory.buffer;
    this.buffers.add(buf);
    this._f32 = new Float32Array(buf);
    this._i32 = new Int32Array(buf);
    this._u8 = new Uint8Array(buf);
    this._f64 = new Float64Array(buf);
    this.peakBytes = Math.max(this.peakBytes, buf.byteLength);
  }

  /** Views over the whole memory as it is now (re-read after anything that may grow it). */
  get f32(): Float32Array {
    if (this._f32.buffer.byteLength !== this.memory.buffer.byteLength) this.refreshViews();
    return this._f32;
  }
  get i32(): Int32Array {
    if (this._i32.buffer.byteLength !== this.memory.buffer.byteLength) this.refreshViews();
    return this._i32;
  }
  get u8(): Uint8Array {
    if (this._u8.buffer.byteLength !== this.memory.buffer.byteLength) this.refreshViews();
    return this._u8;
  }
  get f64(): Float64Array {
    if (this._f64.buffer.byteLength !== this.memory.buffer.byteLength) this.refreshViews();
    return this._f64;
  }

  /** Whether `a` is a view into this heap's memory (so kernels can use it in place). */
  contains(a: ArrayBufferView): boolean {
    return this.buffers.has(a.buffer);
  }

  /** Current size of the memory in bytes. */
  get sizeBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * A raw block of at least `bytes` bytes (64-byte aligned, contents undefined), or -1 when
   * the heap is full. Raw blocks are not watched by the GC: give them back with `freeRaw`.
   */
  tryAllocRaw(bytes: number): number {
    const size = alignUp(Math.max(bytes, 1));
    const fl = this.freeList;
    for (let i = 0; i < fl.length; i++) {
      const b = fl[i];
      if (b.size >= size) {
        const addr = b.addr;
        if (b.size === size) fl.splice(i, 1);
        else {
          b.addr += size;
          b.size -= size;
        }
        this.liveBytes += size;
        return addr;
      }
    }
    const end = this.top + size;
    if (end > this.limit) return -1;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      if (!this.shared) return -1;
      // Grow by at least a quarter, so a run of allocations does not grow page by page.
      const want = Math.max(end, Math.min(this.limit, Math.floor(have * 1.25)));
      try {
        this.memory.grow(Math.ceil((want - have) / PAGE));
      } catch {
        return -1;
      }
      this.refreshViews();
    }
    const addr = this.top;
    this.top = end;
    this.liveBytes += size;
    return addr;
  }

  allocRaw(bytes: number): number {
    const p = this.tryAllocRaw(bytes);
    if (p < 0) {
      throw new KiokuError(
        `WASM backend: out of memory allocating ${bytes} bytes (heap ${this.sizeBytes} bytes, ${this.liveBytes} live)`,
      );
    }
    return p;
  }

  freeRaw(addr: number, bytes: number): void {
    this.freeBlock({ addr, size: alignUp(Math.max(bytes, 1)) });
  }

  /**
   * A zero-filled Float32Array of `n` elements in this memory, recycled when unreachable (or
   * by `release`); an ordinary Float32Array when the memory is full or past the soft cap.
   */
  allocF32(n: number): Float32Array {
    const bytes = n * 4;
    const addr = this.trackedBytes + bytes > this.softCapBytes ? -1 : this.tryAllocRaw(bytes);
    if (addr < 0) {
      this.fallbackCount++;
      return new Float32Array(n);
    }
    const a = new WasmFloat32Array(this.memory.buffer, addr, n);
    a.fill(0);
    const block = { addr, size: alignUp(Math.max(bytes, 1)) };
    this.trackedBytes += block.size;
    const owner: Owner = { ballast: ballast(block.size), block };
    a.owner = owner;
    this.registry.register(owner, block, owner);
    return a;
  }

  /**
   * Give an array's block back now instead of waiting for the GC. Only for arrays from
   * `allocF32` that nothing will touch again (including views of it); a no-op otherwise.
   */
  release(a: Float32Array): void {
    const owner = (a as WasmFloat32Array).owner as Owner | undefined;
    if (!(a instanceof WasmFloat32Array) || owner === undefined || owner.block === null) return;
    if (a.byteOffset !== owner.block.addr) return; // a view into the block, not the block itself
    this.registry.unregister(owner);
    this.untrack(owner.block);
    owner.block = null;
  }

  private untrack(b: Block): void {
    this.trackedBytes -= b.size;
    this.freeBlock(b);
  }

  private freeBlock(b: Block): void {
    this.liveBytes -= b.size;
    const fl = this.freeList;
    // Insert sorted by address, then merge with the neighbours it touches.
    let lo = 0;
    let hi = fl.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (fl[mid].addr < b.addr) lo = mid + 1;
      else hi = mid;
    }
    let blk = { addr: b.addr, size: b.size };
    if (lo > 0 && fl[lo - 1].addr + fl[lo - 1].size === blk.addr) {
      fl[lo - 1].size += blk.size;
      blk = fl[lo - 1];
      lo -= 1;
    } else {
      fl.splice(lo, 0, blk);
    }
    if (lo + 1 < fl.length && blk.addr + blk.size === fl[lo + 1].addr) {
      blk.size += fl[lo + 1].size;
      fl.splice(lo + 1, 1);
    }
    // A free block that reaches the bump pointer goes back to it.
    if (blk.addr + blk.size === this.top) {
      this.top = blk.addr;
      fl.splice(lo, 1);
    }
  }
}

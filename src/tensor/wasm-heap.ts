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

/** Arrays below this size are plain JS arrays (see `allocF32`). */
const SMALL_BYTES = 4096;

/**
 * Blocks from this size get a ballast: smaller ones add up slowly enough for the ordinary
 * collections to find them, and skipping them keeps small allocations cheap.
 */
const BALLAST_MIN = 64 * 1024;

/** What a WasmFloat32Array's `owner` is: the block (null once released) and its ballast. */
interface Owner {
  ballast: ArrayBuffer | Uint8Array | null;
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
 * The one hazard of handing out views into a `WebAssembly.Memory` is growth: growing a plain
 * memory detaches its ArrayBuffer, and every Float32Array already handed out would silently
 * become empty. Two ways round it, one per kind of memory:
 * - plain memory (one thread, the default): reserve a large fixed size up front and never
 *   grow (engines map it lazily: untouched pages cost address space, not RAM). TypedArray
 *   `fill`/`set` on it run at memcpy speed.
 * - shared memory (worker threads): a SharedArrayBuffer is never detached — growth makes a
 *   new, longer SharedArrayBuffer object over the same bytes and old views stay valid — so
 *   it grows on demand up to 4 GiB. Every buffer object the heap has seen is remembered, so
 *   `contains` recognises views made before and after any growth. (Engines implement
 *   `fill`/`set` on shared buffers element by element, so zeroing goes through the kernels'
 *   bulk `memory.fill` instead.)
 * When the memory is full, `allocF32` falls back to ordinary JS arrays (kernels still
 * accept those, by copying).
 *
 * Blocks are recycled when their arrays are garbage-collected (a FinalizationRegistry
 * watches each array's `owner` token), or at once with `release`. Two engine facts shape
 * this:
 * - Engines collect according to JS heap pressure, which tiny view objects hardly create.
 *   So the token of each large block carries a same-sized, never-written buffer "ballast":
 *   the engine counts it as external memory and collects dead arrays as it would dead
 *   ArrayBuffers of that size (its pages are never touched, so it costs no RAM).
 * - Finalization callbacks run only when the event loop turns (and WeakRefs made during a
 *   job keep their targets alive until it ends), so a long *synchronous* loop recycles
 *   nothing until it yields (`await` between training steps is enough). Past
 *   `softCapBytes` of unrecycled blocks, `allocF32` hands out ordinary JS arrays instead
 *   (still correct; kernels copy them in and out), so memory stays bounded either way.
 *   Layers that keep and reuse their buffers avoid the question altogether.
 */
export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  private readonly buffers = new Set<ArrayBufferLike>();
  private readonly bins = new Map<number, number[]>(); // freed blocks by exact size
  private binnedBytes = 0;
  private readonly freeList: Block[] = []; // sorted by address, coalesced (see consolidate)
  private top: number; // first never-used byte
  /**
   * End of the highest block ever handed out: every byte above it has never been written,
   * so it still holds the zeros a new memory starts with (the kernels keep no static data).
   */
  private dirtyTop = 0;
  /** Whether the block `tryAllocRaw` returned last lay wholly above `dirtyTop`. */
  private lastClean = false;
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
  /** Zeroes memory; the engine installs the kernels' bulk fill (needed for shared memory). */
  zeroFill: ((ptr: number, bytes: number) => void) | null = null;
  /** Arrays handed out as ordinary JS arrays because the heap was full or past its soft cap. */
  fallbackCount = 0;

  constructor(opts: {
    shared: boolean;
    base: number;
    /** Shared memory: initial size (grows on demand). */
    initialBytes?: number;
    /** Plain memory: the fixed size (default: the largest of 2 GiB, 1 GiB, 512 MiB, 256 MiB the engine grants). */
    fixedBytes?: number;
    /** Shared memory: growth limit (default 4 GiB). */
    maxBytes?: number;
    softCapBytes?: number;
  }) {
    this.shared = opts.shared;
    if (opts.shared) {
      const initial = Math.ceil(Math.max(opts.initialBytes ?? 32 << 20, opts.base + PAGE) / PAGE);
      this.limit = opts.maxBytes ?? 4 * 1024 * 1024 * 1024 - PAGE;
      this.memory = new WebAssembly.Memory({ initial, maximum: 65536, shared: true });
    } else {
      let memory: WebAssembly.Memory | null = null;
      const sizes = opts.fixedBytes
        ? [opts.fixedBytes]
        : [2048, 1024, 512, 256].map((mb) => mb * 1024 * 1024);
      for (const bytes of sizes) {
        const pages = Math.ceil(bytes / PAGE);
        try {
          memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
          break;
        } catch {
          // not granted; try a smaller one
        }
      }
      if (memory === null) throw new KiokuError('WASM backend: could not reserve a WebAssembly.Memory');
      this.memory = memory;
      this.limit = memory.buffer.byteLength;
    }
    // Past this many bytes of blocks not yet recycled, new arrays become plain JS arrays. A
    // loop that yields recycles long before (a training step allocates tens of MB); one
    // that never yields would otherwise touch ever more fresh pages, so keep it modest.
    this.softCapBytes = opts.softCapBytes ?? Math.min(512 * 1024 * 1024, Math.floor(this.limit / 4));
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
   *
   * Training allocates the same sizes step after step, so freed blocks wait in exact-size
   * bins and are reused in O(1). Only when the memory would have to grow are the bins
   * merged into one address-ordered, coalesced free list and searched first-fit.
   */
  tryAllocRaw(bytes: number): number {
    const size = alignUp(Math.max(bytes, 1));
    const bin = this.bins.get(size);
    if (bin !== undefined && bin.length > 0) {
      this.liveBytes += size;
      this.binnedBytes -= size;
      this.lastClean = false; // handed out before
      return bin.pop() as number;
    }
    let addr = this.firstFit(size);
    if (addr < 0 && this.top + size > this.memory.buffer.byteLength && this.binnedBytes > 0) {
      this.consolidate();
      addr = this.firstFit(size);
    }
    if (addr < 0) addr = this.bump(size);
    if (addr >= 0) {
      this.liveBytes += size;
      this.lastClean = addr >= this.dirtyTop;
      this.dirtyTop = Math.max(this.dirtyTop, addr + size);
    }
    return addr;
  }

  /**
   * `tryAllocRaw`, plus whether the block is known to hold zeros (never handed out before:
   * `allocF32` then skips zero-filling it, which would also touch every fresh page twice).
   */
  private allocTracked(bytes: number): { addr: number; zeroed: boolean } {
    const addr = this.tryAllocRaw(bytes);
    return { addr, zeroed: addr >= 0 && this.lastClean };
  }

  private firstFit(size: number): number {
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
        return addr;
      }
    }
    return -1;
  }

  /** New memory at the top, growing the memory (by at least a quarter) when needed. */
  private bump(size: number): number {
    const end = this.top + size;
    if (end > this.limit) return -1;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      if (!this.shared) return -1;
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
    return addr;
  }

  /** Move every binned block into the free list, merging neighbours and lowering the top. */
  private consolidate(): void {
    const all: Block[] = this.freeList.slice();
    for (const [size, addrs] of this.bins) for (const addr of addrs) all.push({ addr, size });
    this.bins.clear();
    this.binnedBytes = 0;
    all.sort((a, b) => a.addr - b.addr);
    const merged: Block[] = [];
    for (const b of all) {
      const last = merged[merged.length - 1];
      if (last !== undefined && last.addr + last.size === b.addr) last.size += b.size;
      else merged.push({ addr: b.addr, size: b.size });
    }
    const last = merged[merged.length - 1];
    if (last !== undefined && last.addr + last.size === this.top) {
      this.top = last.addr;
      merged.pop();
    }
    this.freeList.length = 0;
    this.freeList.push(...merged);
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
    // Small arrays (a batch-1 state, one row of logits) are cheaper as ordinary JS arrays:
    // the engine allocates and frees them in nanoseconds, while a tracked block costs a
    // registry entry; copying a few hundred floats into a kernel call costs less.
    if (bytes < SMALL_BYTES) return new Float32Array(n);
    const { addr, zeroed } =
      this.trackedBytes + bytes > this.softCapBytes ? { addr: -1, zeroed: false } : this.allocTracked(bytes);
    if (addr < 0) {
      this.fallbackCount++;
      return new Float32Array(n);
    }
    const a = new WasmFloat32Array(this.memory.buffer, addr, n);
    if (zeroed) {
      // never written: already zero
    } else if (this.shared && this.zeroFill !== null) this.zeroFill(addr, n * 4);
    else a.fill(0);
    const block = { addr, size: alignUp(Math.max(bytes, 1)) };
    this.trackedBytes += block.size;
    const owner: Owner = { ballast: block.size >= BALLAST_MIN ? ballast(block.size) : null, block };
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
    const bin = this.bins.get(b.size);
    if (bin === undefined) this.bins.set(b.size, [b.addr]);
    else bin.push(b.addr);
    this.binnedBytes += b.size;
  }
}

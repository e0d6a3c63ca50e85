/**
 * kioku's memory-release policy, in one place.
 *
 * Backend memory (the WASM backend's blocks) is given back in one of two ways:
 * 1. **Scopes, deterministically.** Code that allocates many short-lived buffers — one
 *    training step, one validation pass — runs inside `withScope`. Every block allocated
 *    inside is released when the scope ends (normally or by an exception), except those the
 *    code `keep`s (or `withScope`'s callback returns: a Tensor or array result is kept).
 *    The Trainer scopes each step (trainBatch, clipping, optimizer step) and each
 *    validation, so memory use is flat however long a synchronous loop runs.
 * 2. **The GC, eventually.** Everything else — parameters, gradients and optimizer slots
 *    (allocated at construction, outside any scope), kept values — is recycled by a
 *    FinalizationRegistry when unreachable (`WasmHeap`).
 *
 * The rule for code inside a scope: anything that must outlive it — a hidden state carried
 * to the next step (truncated BPTT), a buffer a layer allocates once and reuses — must be
 * `keep`-ed; a value still used after its scope ended reads freed memory that the next
 * allocation may overwrite. Debug mode `KIOKU_POISON_RELEASED=1` fills released blocks with
 * NaN (and delays their reuse by one outermost scope), so such a bug turns into a NaN loss
 * or a failing bit-exactness test instead of silently wrong numbers.
 *
 * Backends without their own memory (the reference backend) make scopes no-ops. Scopes nest;
 * `keep` takes a block out of every open scope.
 *
 * ```ts
 * const loss = withScope(() => {
 *   const { logits, state } = model.forward(x, T, B, carried);
 *   carried = state;
 *   keep(state.h, state.c); // survives the scope; the logits and caches do not
 *   return lossOf(logits);
 * });
 * ```
 */
import type { Backend } from './backend.js';
import { getBackend } from './current-backend.js';
import { Tensor, type FloatArray } from './tensor.js';
import { KiokuError } from '../util/errors.js';

/** What a backend implements to support scopes (the WASM backend does). */
export interface ScopedMemory {
  openScope(): void;
  closeScope(): void;
  keep(a: FloatArray): void;
}

function scopedMemory(be: Backend): ScopedMemory | null {
  const s = be as Backend & Partial<ScopedMemory>;
  return typeof s.openScope === 'function' &&
    typeof s.closeScope === 'function' &&
    typeof s.keep === 'function'
    ? (s as Backend & ScopedMemory)
    : null;
}

/** An open memory scope; `close` it exactly once (in a `finally`). */
export interface MemoryScope {
  close(): void;
}

/**
 * Open a memory scope by hand, for code that cannot be one callback (the Trainer's step,
 * which sits in a generator); prefer `withScope`. Closing twice is an error.
 */
export function openScope(): MemoryScope {
  const mem = scopedMemory(getBackend());
  if (mem === null) return { close: () => {} };
  mem.openScope();
  let open = true;
  return {
    close: () => {
      if (!open) throw new KiokuError('memory scope closed twice');
      open = false;
      mem.closeScope();
    },
  };
}

/**
 * Run `fn` in a memory scope of the current backend: what it allocates is released when it
 * returns or throws, except `keep`-ed values and a Tensor / float array it returns.
 */
export function withScope<T>(fn: () => T): T {
  const mem = scopedMemory(getBackend());
  if (mem === null) return fn();
  mem.openScope();
  try {
    const result = fn();
    if (result instanceof Tensor) mem.keep(result.data);
    else if (result instanceof Float32Array) mem.keep(result);
    return result;
  } finally {
    mem.closeScope();
  }
}

/** Let these values outlive the open scopes (null/undefined are skipped). Returns nothing. */
export function keep(...values: (Tensor | FloatArray | null | undefined)[]): void {
  const mem = scopedMemory(getBackend());
  if (mem === null) return;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    mem.keep(v instanceof Tensor ? v.data : v);
  }
}

/**
 * Let the event loop turn once. Long training loops call it between steps so that timers,
 * I/O (a Ctrl-C signal handler, a progress bar) and FinalizationRegistry callbacks get to run.
 * Browser-safe: `setImmediate` where it exists (Node), a zero-delay `setTimeout` elsewhere.
 *
 * ```ts
 * for (let step = 0; step < steps; step++) { trainStep(); await yieldToEventLoop(); }
 * ```
 */
export function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (cb: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => {
    if (immediate) immediate(resolve);
    else setTimeout(resolve, 0);
  });
}

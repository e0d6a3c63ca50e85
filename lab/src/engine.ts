/** The page's side of the engine worker: promise per request, bench progress as events. */
import type { BenchProgress, Reply, Request } from './protocol.js';

export class Engine {
  private readonly worker: Worker;
  private next = 1;
  private readonly waiting = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  onBench: (p: BenchProgress) => void = () => {};

  constructor() {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (e: MessageEvent<Reply | BenchProgress>) => {
      const m = e.data;
      if ('type' in m) {
        this.onBench(m);
        return;
      }
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.ok(m.value);
      else w.fail(new Error(m.error));
    };
  }

  /** Send a request; the reply's value (its type is the caller's to know). */
  call<T>(req: Request, transfer: Transferable[] = []): Promise<T> {
    const id = this.next++;
    return new Promise<T>((ok, fail) => {
      this.waiting.set(id, { ok: (v) => ok(v as T), fail });
      this.worker.postMessage({ id, req }, transfer);
    });
  }
}

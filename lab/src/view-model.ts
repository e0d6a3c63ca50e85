/**
 * What the views with an optional shipped model share (the sentiment trace, the attention
 * explorer): the model this build ships — Vite bundles it only when the file exists, so the
 * view passes its `import.meta.glob` result — or one the user loads from a file, decoded in
 * the views worker; a message line; and "redraw shortly after the last keystroke".
 */
import type { ViewsRequest } from './views-protocol.js';
import { viewsEngine } from './views-engine.js';

/** The model of a view: shipped with the build (fetched once) or loaded from a file. */
export class ViewModel<Info> {
  /** The loaded model's description (null until one is loaded). */
  info: Info | null = null;
  private shippedInfo: Promise<Info | null> | null = null;

  constructor(
    private readonly o: {
      /** The shipped file's URL in this build, or undefined when the build has none. */
      url: string | undefined;
      /** The shipped file's name in the repository (for messages). */
      name: string;
      /** The worker request that decodes a model file's bytes and replies with `Info`. */
      request: (bytes: Uint8Array, name: string) => ViewsRequest;
      /** Called after every successful load (to describe the model). */
      loaded: () => void;
    },
  ) {}

  /** Whether this build ships a model. */
  get shipped(): boolean {
    return this.o.url !== undefined;
  }

  /** Decode a model file's bytes in the worker; it becomes the view's model. */
  async load(bytes: Uint8Array, name: string): Promise<Info> {
    this.info = await viewsEngine().call<Info>(this.o.request(bytes, name), [bytes.buffer]);
    this.o.loaded();
    return this.info;
  }

  /** The loaded model, or else the shipped one, fetched once (null when the build ships none). */
  ensure(): Promise<Info | null> {
    if (this.info) return Promise.resolve(this.info);
    if (!this.shippedInfo) {
      const url = this.o.url;
      this.shippedInfo = (async () => {
        if (!url) return null;
        const res = await fetch(url);
        if (!res.ok) throw new Error(`${this.o.name}: HTTP ${res.status}`);
        return this.load(new Uint8Array(await res.arrayBuffer()), this.o.name);
      })();
    }
    return this.shippedInfo;
  }

  /** Load the file chosen in `input`, then run `then`; a refused file goes to `fail` (with its name). */
  wireFileInput(input: HTMLInputElement, then: () => Promise<void>, fail: (e: unknown) => void): void {
    input.onchange = async () => {
      const f = input.files?.[0];
      if (!f) return;
      try {
        await this.load(new Uint8Array(await f.arrayBuffer()), f.name);
        await then();
      } catch (err) {
        fail(err);
      }
    };
  }
}

/** Show `text` in the element (hidden when null). */
export function showMessage(el: HTMLElement, text: string | null): void {
  el.hidden = text === null;
  el.textContent = text ?? '';
}

/** The text of an error for a message line. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** `run` once, `ms` after the last call (typing redraws when the typist pauses). */
export function debounced(run: () => void, ms = 150): () => void {
  let timer: number | null = null;
  return () => {
    if (timer !== null) window.clearTimeout(timer);
    timer = window.setTimeout(() => {
      timer = null;
      run();
    }, ms);
  };
}

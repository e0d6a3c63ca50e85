/** The view's state in the URL (`?lang=ja&view=bench&task=copy…`), so a link reopens it. */
export type Params = Record<string, string>;

export function readParams(): Params {
  const out: Params = {};
  new URLSearchParams(location.search).forEach((v, k) => (out[k] = v));
  return out;
}

let pending: number | null = null;
const state: Params = readParams();

/** Set (or with null, remove) keys; the URL is rewritten shortly after (replaceState). */
export function setParams(p: Record<string, string | number | null>): void {
  for (const [k, v] of Object.entries(p)) {
    if (v === null || v === '') delete state[k];
    else state[k] = String(v);
  }
  if (pending === null) {
    pending = window.setTimeout(() => {
      pending = null;
      const q = new URLSearchParams(state).toString();
      history.replaceState(null, '', q ? `?${q}` : location.pathname);
    }, 50);
  }
}

export function param(k: string): string | null {
  return state[k] ?? null;
}

export function numParam(k: string, fallback: number): number {
  const v = Number(state[k]);
  return state[k] !== undefined && Number.isFinite(v) ? v : fallback;
}

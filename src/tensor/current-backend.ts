/**
 * Which backend the kernels run on now. Kept apart from the \`Backend\` interface
 * (backend.ts) so that the reference backend, which implements that interface, and the
 * fallback to it here do not import each other.
 */
import type { Backend } from './backend.js';
import { ReferenceBackend } from './reference.js';

let active: Backend | null = null;
let defaultFactory: (() => Backend) | null = null;

/** Register the factory that builds the default backend (done once by the package entry). */
export function registerDefaultBackend(factory: () => Backend): void {
  defaultFactory = factory;
}

/** The backend kernels run on now. */
export function getBackend(): Backend {
  if (active === null) {
    // Without the package entry (which registers the fastest backend), the reference one.
    active = defaultFactory === null ? new ReferenceBackend() : defaultFactory();
  }
  return active;
}

/** Choose the backend explicitly (e.g. the reference backend in tests). Returns the previous one. */
export function setBackend(b: Backend): Backend | null {
  const prev = active;
  active = b;
  return prev;
}

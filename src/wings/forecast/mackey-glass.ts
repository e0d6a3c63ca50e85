import { checkNumber } from '../../util/errors.js';

/**
 * The Mackey–Glass delay differential equation (Mackey & Glass 1977),
 *   dx/dt = β x(t−τ) / (1 + x(t−τ)^n) − γ x(t),
 * with the chaotic benchmark setting β = 0.2, γ = 0.1, n = 10, τ = 17, x(t ≤ 0) = 1.2,
 * integrated with 4th-order Runge–Kutta at step dt (the delayed term is linearly
 * interpolated from the stored history) and sampled every `every` time units after a
 * `discard` transient.
 *
 * ```ts
 * const x = mackeyGlass({ n: 2000 }); // Float64Array of 2000 samples, values in ~[0.2, 1.4]
 * ```
 */
export function mackeyGlass(opts: {
  n: number;
  tau?: number;
  beta?: number;
  gamma?: number;
  power?: number;
  dt?: number;
  every?: number;
  discard?: number;
  x0?: number;
}): Float64Array {
  const n = checkNumber('mackeyGlass', 'n', opts.n, { min: 1, integer: true });
  const tau = opts.tau ?? 17;
  const beta = opts.beta ?? 0.2;
  const gamma = opts.gamma ?? 0.1;
  const p = opts.power ?? 10;
  const dt = opts.dt ?? 0.1;
  const every = opts.every ?? 1;
  const discard = opts.discard ?? 500;
  const x0 = opts.x0 ?? 1.2;
  const lag = Math.round(tau / dt);
  const perSample = Math.round(every / dt);
  const steps = Math.round(discard / dt) + n * perSample;
  const hist = new Float64Array(steps + lag + 1).fill(x0); // hist[lag + k] = x(k·dt)
  const f = (x: number, xd: number): number => (beta * xd) / (1 + xd ** p) - gamma * x;
  for (let k = 0; k < steps; k++) {
    const i = lag + k;
    const x = hist[i];
    const xd0 = hist[i - lag];
    const xd1 = hist[i - lag + 1];
    const xdm = 0.5 * (xd0 + xd1);
    const k1 = f(x, xd0);
    const k2 = f(x + 0.5 * dt * k1, xdm);
    const k3 = f(x + 0.5 * dt * k2, xdm);
    const k4 = f(x + dt * k3, xd1);
    hist[i + 1] = x + (dt / 6) * (k1 + 2 * k2 + 2 * k3 + k4);
  }
  const out = new Float64Array(n);
  const start = lag + Math.round(discard / dt);
  for (let s = 0; s < n; s++) out[s] = hist[start + (s + 1) * perSample];
  return out;
}

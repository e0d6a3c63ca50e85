// A consumer of the installed package: a small LSTM language-model step, run the same way in
// Node (test/consumer.test.ts imports it) and in a page (bundled by esbuild). Takes the
// `kioku` module namespace so that the same code runs against either import.
/* global crossOriginIsolated */

/**
 * Train `steps` Adam steps of an LSTM + linear head on a fixed pseudo-random sequence task
 * and return the losses. `relaxed: false` pins the plain-SIMD build so that Node 20 (which
 * has relaxed SIMD off) and Chromium run identical arithmetic.
 */
export async function trainSteps(kioku, { steps = 5, threads = 1, relaxed = false, source } = {}) {
  const { LSTM, Linear, Tensor, Adam, Rng, softmaxCrossEntropy, preloadWasm, useBackend, wasmUnavailableReason } =
    kioku;
  const loaded = await preloadWasm(source, { threads, relaxed });
  if (!loaded) throw new Error(`WASM did not load: ${wasmUnavailableReason()}`);
  const backend = useBackend('wasm', { threads, relaxed });

  const T = 12, B = 4, V = 11, H = 24;
  const rng = new Rng(7);
  const tokens = Int32Array.from({ length: (T + 1) * B }, () => Math.floor(rng.uniform() * V));
  // One-hot inputs [T, B, V]; targets are the next token: a task the LSTM can learn.
  const x = new Tensor(new Float32Array(T * B * V), [T, B, V]);
  const targets = new Int32Array(T * B);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      x.data[(t * B + b) * V + tokens[t * B + b]] = 1;
      targets[t * B + b] = tokens[(t + 1) * B + b];
    }
  }
  const lstm = new LSTM({ inputSize: V, hiddenSize: H, seed: 1 });
  const head = new Linear({ inFeatures: H, outFeatures: V, seed: 2 });
  const opt = new Adam([...lstm.parameters(), ...head.parameters()], { lr: 1e-2 });
  const losses = [];
  for (let s = 0; s < steps; s++) {
    lstm.zeroGrad();
    head.zeroGrad();
    const { output } = lstm.forward(x); // [T, B, H]
    const logits = head.forward(output); // [T, B, V]
    const { loss, grad } = softmaxCrossEntropy(logits, targets);
    lstm.backward(head.backward(grad));
    opt.step();
    losses.push(loss);
  }
  return {
    losses,
    backend: backend.name,
    variant: backend.engine?.variant?.file ?? null,
    threads: backend.engine?.pool?.size ?? 1,
    isolated: typeof crossOriginIsolated === 'boolean' ? crossOriginIsolated : null,
  };
}

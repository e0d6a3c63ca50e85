// Memory scopes (tensor/scope.ts): deterministic release of WASM blocks, keep(), nesting,
// poisoning of released blocks, and the Trainer's use of them (bit-identical with and
// without poisoning, no fallback to JS arrays in a long synchronous run).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getBackend, setBackend } from '../src/tensor/current-backend.js';
import { ReferenceBackend } from '../src/tensor/reference.js';
import { keep, openScope, withScope } from '../src/tensor/scope.js';
import { Tensor } from '../src/tensor/tensor.js';
import { createWasmBackend, type WasmBackend } from '../src/tensor/wasm-backend.js';
import { CharLM } from '../src/wings/charlm/model.js';
import { CharLMTask } from '../src/wings/charlm/task.js';
import { Trainer } from '../src/train/trainer.js';
import { Rng } from '../src/util/rng.js';

const maybe = createWasmBackend();
assert.ok(maybe, 'the WASM backend must be available in Node (run `npm run build:wasm`)');
const wasm: WasmBackend = maybe;
const heap = wasm.engine.heap;
const N = 4096; // 16 KiB: a tracked block (small arrays are plain JS arrays)

/** Run `fn` on the WASM backend with poisoning set as given, restoring both afterwards. */
function onWasm<T>(poison: boolean, fn: () => T): T {
  const prev = setBackend(wasm);
  const was = heap.poisonReleased;
  heap.poisonReleased = poison;
  try {
    return fn();
  } finally {
    heap.poisonReleased = was;
    setBackend(prev ?? new ReferenceBackend());
  }
}

describe('memory scopes', () => {
  test('a scope releases what it allocated, except kept and returned values', () => {
    onWasm(true, () => {
      const tracked0 = heap.trackedBytes;
      let dropped: Float32Array | null = null;
      let kept: Float32Array | null = null;
      const returned = withScope(() => {
        dropped = wasm.alloc('float32', N) as Float32Array;
        kept = wasm.alloc('float32', N) as Float32Array;
        dropped.fill(1);
        kept.fill(2);
        keep(kept);
        const r = Tensor.zeros([N]);
        const data = wasm.alloc('float32', N) as Float32Array;
        data.fill(3);
        return new Tensor(data, r.shape);
      });
      assert.ok(heap.contains(kept!) && heap.contains(returned.data));
      assert.ok(
        kept!.every((x) => x === 2),
        'a kept array is intact',
      );
      assert.ok(
        returned.data.every((x) => x === 3),
        'a returned tensor is intact',
      );
      assert.ok(
        dropped!.every((x) => Number.isNaN(x)),
        'a released array reads NaN in poison mode',
      );
      assert.equal(heap.trackedBytes - tracked0, 2 * N * 4, 'only the kept and returned blocks stay tracked');
      wasm.release(kept!);
      wasm.release(returned.data);
      assert.equal(heap.trackedBytes, tracked0);
    });
  });

  test('scopes nest, close on exceptions, and keep() takes a block out of every open scope', () => {
    onWasm(true, () => {
      const tracked0 = heap.trackedBytes;
      let inner: Float32Array | null = null;
      let outerOnly: Float32Array | null = null;
      let survivor: Float32Array | null = null;
      withScope(() => {
        outerOnly = wasm.alloc('float32', N) as Float32Array;
        withScope(() => {
          inner = wasm.alloc('float32', N) as Float32Array;
          survivor = wasm.alloc('float32', N) as Float32Array;
          keep(survivor.subarray(5, 10)); // a view keeps its whole block
        });
        assert.ok(
          inner!.every((x) => Number.isNaN(x)),
          'the inner scope released its block',
        );
        assert.ok(
          outerOnly!.every((x) => x === 0),
          "the outer scope's block is still live",
        );
      });
      assert.ok(outerOnly!.every((x) => Number.isNaN(x)));
      assert.ok(
        survivor!.every((x) => x === 0),
        'kept in the inner scope: survives the outer one too',
      );
      assert.throws(
        () =>
          withScope(() => {
            wasm.alloc('float32', N);
            throw new Error('boom');
          }),
        /boom/,
      );
      const s = openScope();
      s.close();
      assert.throws(() => s.close(), /closed twice/);
      wasm.release(survivor!);
      assert.equal(heap.trackedBytes, tracked0, 'the throwing scope released its block too');
    });
  });

  test('released blocks are reused without poisoning, and hold no stale values', () => {
    onWasm(false, () => {
      withScope(() => {}); // returns blocks an earlier poisoned scope still holds back
      const live0 = heap.liveBytes;
      for (let i = 0; i < 50; i++) {
        withScope(() => {
          const a = wasm.alloc('float32', 1 << 20) as Float32Array; // 4 MiB a step
          assert.ok(
            a.every((x) => x === 0),
            'a recycled block is zeroed',
          );
          a.fill(i + 1);
        });
      }
      assert.equal(heap.liveBytes, live0, 'nothing left behind: the same block went round 50 times');
    });
  });

  test('scopes are no-ops on the reference backend', () => {
    const prev = setBackend(new ReferenceBackend());
    try {
      const a = withScope(() => getBackend().alloc('float32', N));
      keep(a);
      assert.equal(a.length, N);
    } finally {
      setBackend(prev ?? new ReferenceBackend());
    }
  });

  test('Trainer: char-LM training is bit-identical with poisoned releases, and a long synchronous run never falls back', () => {
    const rng = new Rng(7);
    const ids = Int32Array.from({ length: 6000 }, () => Math.floor(rng.uniform() * 20));
    const train = (poison: boolean) =>
      onWasm(poison, () => {
        const model = new CharLM({
          vocabSize: 20,
          cell: 'lstm',
          hidden: 64,
          layers: 2,
          embed: 16,
          dropout: 0.1,
          seed: 3,
        });
        const task = new CharLMTask(model, ids.subarray(0, 5000), ids.subarray(5000), { batch: 16, seq: 16 });
        const fallback0 = heap.fallbackCount;
        const tracked0 = heap.trackedBytes;
        const r = new Trainer(task, {
          optimizer: 'adam',
          lr: 2e-3,
          clip: 5,
          steps: 30,
          validateEvery: 5,
        }).run();
        return {
          loss: r.finalLoss,
          val: r.valLoss,
          weights: model.parameters().map((p) => Array.from(p.value.data)),
          fallbacks: heap.fallbackCount - fallback0,
          // Params, grads, optimizer slots and the last carried state: no step's temporaries.
          growthMiB: (heap.trackedBytes - tracked0) / 2 ** 20,
        };
      });
    const plain = train(false);
    const poisoned = train(true);
    console.log(
      `  loss ${plain.loss} / ${poisoned.loss}, val ${plain.val} / ${poisoned.val}, tracked growth ${plain.growthMiB.toFixed(2)} MiB, fallbacks ${plain.fallbacks}`,
    );
    assert.ok(Number.isFinite(poisoned.loss) && Number.isFinite(poisoned.val));
    assert.equal(poisoned.loss, plain.loss);
    assert.equal(poisoned.val, plain.val);
    assert.deepEqual(poisoned.weights, plain.weights, 'final weights bit-identical');
    assert.equal(plain.fallbacks, 0, 'no array fell back to plain JS memory');
    assert.ok(plain.growthMiB < 8, `tracked memory grew ${plain.growthMiB} MiB over a synchronous run`);
  });
});

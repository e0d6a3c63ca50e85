/**
 * Where a training run keeps its checkpoints, seen from the Trainer. The Trainer is
 * browser-safe, so it never touches a file system itself: the Node implementation is
 * `RunDir` in `src/node/run-dir.ts` (a run directory with `model.safetensors` and
 * `checkpoints/step-…-val-….safetensors`); a browser could keep checkpoints in memory or
 * IndexedDB behind the same interface.
 *
 * ```ts
 * const store: RunStore = new RunDir('runs/lm');          // Node
 * new Trainer(task, { optimizer: 'adam', lr: 2e-3, steps: 1000, store });
 * ```
 */
import type { Checkpoint } from '../io/checkpoint-codec.js';

export type { Checkpoint } from '../io/checkpoint-codec.js';

export interface RunStore {
  /** Human-readable location of the run (a directory path), used in messages. */
  readonly location: string;
  /** Where the latest checkpoint lives (what a resume continues from). */
  readonly latest: string;
  /**
   * Save `ckpt` under the checkpoint name `name` (kept among the named checkpoints) and as
   * the run's latest model, each atomically. Returns where the named checkpoint lives.
   */
  saveCheckpoint(name: string, ckpt: Checkpoint): string;
  /** Names of the named checkpoints, sorted oldest first (names sort by step). */
  listCheckpoints(): string[];
  /** Remove one named checkpoint (pruning); a missing one is not an error. */
  removeCheckpoint(name: string): void;
}

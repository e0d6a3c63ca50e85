/**
 * A training run's directory on disk: the Node implementation of the Trainer's `RunStore`.
 *
 * Layout (one for every training command):
 *
 *     <out>/model.safetensors                          latest checkpoint (weights, optimizer, step, task state)
 *     <out>/checkpoints/step-0000500-val-1.2345.safetensors   named checkpoints, oldest pruned first
 *
 * Every file is written through `writeFileAtomic`, so a crash mid-save leaves the previous
 * checkpoint intact.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Checkpoint, saveCheckpoint } from './checkpoint-file.js';
import type { RunStore } from '../train/run-store.js';

/** Named checkpoint files: fixed-width step numbers so that names sort by step. */
const CHECKPOINT_FILE = /^step-\d+-val-.*\.safetensors$/;

export class RunDir implements RunStore {
  /** The latest checkpoint, rewritten at every save: what `--resume` continues from. */
  readonly latestPath: string;
  readonly checkpointDir: string;

  constructor(readonly location: string) {
    this.latestPath = join(location, 'model.safetensors');
    this.checkpointDir = join(location, 'checkpoints');
  }

  saveCheckpoint(name: string, ckpt: Checkpoint): string {
    mkdirSync(this.checkpointDir, { recursive: true });
    const named = join(this.checkpointDir, name);
    saveCheckpoint(named, ckpt);
    saveCheckpoint(this.latestPath, ckpt);
    return named;
  }

  listCheckpoints(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.checkpointDir);
    } catch {
      return [];
    }
    return names.filter((f) => CHECKPOINT_FILE.test(f)).sort();
  }

  removeCheckpoint(name: string): void {
    rmSync(join(this.checkpointDir, name), { force: true });
  }
}

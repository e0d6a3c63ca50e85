// Types of tfjs_model.mjs for the TypeScript side of the bench (TF.js itself is optional).
import type { BenchConfig } from '../configs.js';

/** What `trainTfjs` needs of a TF.js module (`@tensorflow/tfjs`), typed loosely: it is optional. */
export interface TfModule {
  setBackend(name: string): Promise<boolean>;
  getBackend(): string;
  version: { tfjs: string };
}

export function trainTfjs(
  tf: TfModule,
  cfg: BenchConfig,
  seconds: number,
): Promise<{ trainTokensPerSec: number; trainSteps: number; finalLoss: number }>;

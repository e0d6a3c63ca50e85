/**
 * Build an optimizer from its kind name and options, as a config file or a checkpoint
 * stores them.
 *
 * ```ts
 * const opt = createOptimizer('adam', model.parameters(), { lr: 3e-3 });
 * const saved = opt.state();
 * const resumed = optimizerFromState(model.parameters(), saved); // same kind, options, step, buffers
 * ```
 */
import type { Parameter } from '../nn/module.js';
import { KiokuError } from '../util/errors.js';
import { Adagrad, type AdagradOptions } from './adagrad.js';
import { Adam, type AdamOptions, AdamW } from './adam.js';
import { GravesRMSprop, type GravesRMSpropOptions } from './graves-rmsprop.js';
import { describe } from './options.js';
import type { Optimizer, OptimizerState } from './optimizer.js';
import { RMSprop, type RMSpropOptions } from './rmsprop.js';
import { SGD, type SGDOptions } from './sgd.js';

/** The optimizer kinds, as stored in `OptimizerState.kind`. */
export const OPTIMIZER_KINDS = ['sgd', 'adagrad', 'rmsprop', 'graves-rmsprop', 'adam', 'adamw'] as const;
export type OptimizerKind = (typeof OPTIMIZER_KINDS)[number];

/** Options accepted by each kind. */
export interface OptimizerOptionsByKind {
  sgd: SGDOptions;
  adagrad: AdagradOptions;
  rmsprop: RMSpropOptions;
  'graves-rmsprop': GravesRMSpropOptions;
  adam: AdamOptions;
  adamw: AdamOptions;
}

/** A new optimizer of the named kind; options are validated by that optimizer. */
export function createOptimizer<K extends OptimizerKind>(
  kind: K,
  params: readonly Parameter[],
  options: OptimizerOptionsByKind[K],
): Optimizer {
  switch (kind as OptimizerKind) {
    case 'sgd':
      return new SGD(params, options as SGDOptions);
    case 'adagrad':
      return new Adagrad(params, options as AdagradOptions);
    case 'rmsprop':
      return new RMSprop(params, options as RMSpropOptions);
    case 'graves-rmsprop':
      return new GravesRMSprop(params, options as GravesRMSpropOptions);
    case 'adam':
      return new Adam(params, options as AdamOptions);
    case 'adamw':
      return new AdamW(params, options as AdamOptions);
    default:
      throw new KiokuError(
        `createOptimizer: expected kind one of ${OPTIMIZER_KINDS.join(', ')}, got ${describe(kind)}`,
      );
  }
}

/** Recreate an optimizer from `state()` output: its kind, options, lr, step and buffers. */
export function optimizerFromState(params: readonly Parameter[], state: OptimizerState): Optimizer {
  if (state === null || typeof state !== 'object') {
    throw new KiokuError(`optimizerFromState: expected a state object, got ${describe(state)}`);
  }
  const options = { ...(state.options as object), lr: state.lr };
  const opt = createOptimizer(state.kind as OptimizerKind, params, options as never);
  opt.loadState(state);
  return opt;
}

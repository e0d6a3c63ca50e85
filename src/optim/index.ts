/** Optimizers, learning-rate schedules and gradient clipping (see each module's doc comment). */
export { Optimizer, type OptimizerState, type OptionValue, type BaseOptions } from './optimizer.js';
export { SGD, sgdUpdate, type SGDOptions, type SGDConfig, type SGDStepParams } from './sgd.js';
export {
  Adagrad,
  adagradUpdate,
  type AdagradOptions,
  type AdagradConfig,
  type AdagradStepParams,
} from './adagrad.js';
export { RMSprop, rmspropUpdate, type RMSpropOptions, type RMSpropConfig } from './rmsprop.js';
export {
  GravesRMSprop,
  gravesRmspropUpdate,
  type GravesRMSpropOptions,
  type GravesRMSpropConfig,
} from './graves-rmsprop.js';
export { Adam, AdamW, adamUpdate, type AdamOptions, type AdamConfig, type AdamStepParams } from './adam.js';
export { clipGradNorm, clipGradValue, gradNorm, paramNorm, globalNorm } from './clip.js';
export {
  ConstantLR,
  StepLR,
  ExponentialLR,
  CosineAnnealingLR,
  LinearWarmup,
  withWarmup,
  scheduleFromJSON,
  applySchedule,
  type Schedule,
  type ScheduleJSON,
} from './schedule.js';
export {
  createOptimizer,
  optimizerFromState,
  OPTIMIZER_KINDS,
  type OptimizerKind,
  type OptimizerOptionsByKind,
} from './factory.js';

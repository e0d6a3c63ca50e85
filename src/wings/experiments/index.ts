/**
 * The teaching experiments as one namespace: gradient flow (vanishing/exploding),
 * clipping, RNN vs LSTM vs GRU on long-dependency tasks, truncated BPTT, and the synthetic
 * tasks they run on. See docs/experiments.md.
 */
export * from './synthetic.js';
export * from './model.js';
export * from './stepwise.js';
export * from './grad-through-time.js';
export * from './spectral.js';
export * from './gradient-flow.js';
export * from './train.js';
export * from './report.js';
export * from './gradients.js';
export * from './clipping.js';
export * from './compare.js';
export * from './truncation.js';

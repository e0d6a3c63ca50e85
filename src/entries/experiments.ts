/**
 * `kioku/experiments`: the teaching experiments — gradient flow, clipping, RNN vs LSTM vs
 * GRU on long-dependency tasks, truncated BPTT and their synthetic tasks. Node only.
 *
 * @module
 */
import '../index.node.js';

export * from '../wings/experiments/index.js';

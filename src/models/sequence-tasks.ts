/**
 * The sequence tasks of the lecture as one namespace: sentiment (many-to-one), forecasting,
 * seq2seq with attention and beam search (grapheme-to-phoneme), word2vec, and their data,
 * vocabulary, batching, attention and pooling pieces. See docs/sequence-tasks.md.
 */
export * from '../data/text.js';
export * from '../data/vocab.js';
export * from '../data/batching.js';
export * from '../data/imdb.js';
export * from '../data/cmudict.js';
export * from '../data/series.js';
export * from '../nn/attention.js';
export * from '../nn/pooling.js';
export * from './sentiment.js';
export * from './sentiment_train.js';
export * from './forecast.js';
export * from './forecast_train.js';
export {
  Seq2Seq,
  DEFAULT_SEQ2SEQ_CONFIG,
  validateSeq2SeqConfig,
  type Seq2SeqConfig,
  type DecoderState,
  type StepResult,
} from './seq2seq.js';
export type { Encoded as Seq2SeqEncoded } from './seq2seq.js';
export * from './seq2seq_decode.js';
export * from './seq2seq_train.js';
export * from './seq2seq_figure.js';
export * from './word2vec.js';
export * from './word2vec_io.js';
export * from './taskfile.js';

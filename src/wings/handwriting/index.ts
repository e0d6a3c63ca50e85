/**
 * Handwriting prediction (Graves 2013 §4) as one namespace: the MDN output layer, the
 * skip-connected prediction network, stroke data (IAM-OnDB lineStrokes, stroke-3, the
 * built-in Hershey handwriting), training, sampling and the density figures.
 * See docs/handwriting.md.
 */
export * from './mdn.js';
export * from './model.js';
export * from './train.js';
export * from './data.js';
export * from './sample.js';
export * from './density.js';
export * from './io.js';
export * from './figures.js';
export * from './draw.js';
export * from './strokes.js';
export * from './strokes-iam.js';
export * from './strokes-stroke3.js';
export * from './stroke-files.js';
export * from './codec.js';
export * from './pad.js';
export * from './hershey.js';
export * from './hershey-writer.js';

/**
 * The exercise wing: the course's hands-on tasks as scaffolds that check themselves against
 * kioku's own layers. `kioku exercise list | start | check | hint | quiz` (src/cli/exercise.ts).
 */
import { type AnyExercise, erase } from './common.js';
import { attentionExercise } from './attention.js';
import { bidirectionalExercise } from './bidirectional.js';
import { clippingExercise } from './clipping.js';
import { gruExercise } from './gru.js';
import { lstmBackwardExercise, lstmForwardExercise } from './lstm.js';
import { mdnExercise } from './mdn.js';
import { rnnExercise } from './rnn.js';

/** Every exercise, in course order. */
export const EXERCISES: readonly AnyExercise[] = [
  erase(rnnExercise),
  erase(lstmForwardExercise),
  erase(lstmBackwardExercise),
  erase(gruExercise),
  erase(clippingExercise),
  erase(bidirectionalExercise),
  erase(mdnExercise),
  erase(attentionExercise),
];

export function exerciseNames(): string[] {
  return EXERCISES.map((e) => e.name);
}

/** The exercise called `name`, or undefined. */
export function findExercise(name: string): AnyExercise | undefined {
  return EXERCISES.find((e) => e.name === name);
}

export type { CheckItem, CheckReport, GateWeights, Lang, Matrix, Text, Vector } from './common.js';

/**
 * The handwriting workflows behind `kioku handwriting …`, as functions: a training run
 * into a run directory (through the one Trainer), evaluation of a saved model, and
 * the figures (samples, predicted density, "hairs", a data preview, a comparison of saved
 * models). The CLI only maps flags to these options and prints what they return.
 *
 * A run directory holds `handwriting.safetensors` (weights, normalisation, the run's results),
 * the Trainer's `model.safetensors`, `checkpoints/` and `train-log.json` (for `--resume`), and
 * `curve.svg/.png` (validation NLL during training).
 */
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../node/atomic.js';
import { makeDirs } from '../../node/files.js';
import {
  fileFingerprint,
  type FinishedRun,
  folderFingerprint,
  type RunFlags,
  runTraining,
} from '../../node/run-dir.js';
import { lineChart, svgToPng, vegaLiteToSvg, writeFigure } from '../../node/plot.js';
import { cellTakes } from '../../nn/cells.js';
import type { TrainEvent } from '../../train/trainer.js';
import { KiokuError } from '../../util/errors.js';
import { loadStrokeData, type StrokeDataOptions } from './data.js';
import { densityGrid, predictAlongLine } from './density.js';
import { type DrawingRow, type DrawOptions, drawingsToSvg } from './draw.js';
import { densityFigureSpec } from './figures.js';
import {
  HANDWRITING_MODEL_FILE,
  loadHandwritingModel,
  resolveModelPath,
  saveHandwritingModel,
} from './io.js';
import {
  countParameters,
  HandwritingModel,
  type HandwritingModelConfig,
  hiddenSizeForBudget,
} from './model.js';
import { sampleHairs, sampleHandwriting } from './sample.js';
import {
  denormalizeOffsets,
  drawingToOffsets,
  dropOutliers,
  normalizeOffsets,
  type OffsetSequence,
  offsetsToDrawing,
} from './strokes.js';
import { findXmlFiles, loadLineStrokesFile, loadStroke3File } from './stroke-files.js';
import { toStroke3Json } from './strokes-stroke3.js';
import {
  type EvalInfo,
  type EvalResult,
  evaluateHandwriting,
  handwritingEvents,
  handwritingResult,
  HandwritingTask,
  type HandwritingTrainConfig,
  handwritingTrainerOptions,
  normalizeTrainConfig,
  type StepInfo,
} from './train.js';

/** The files of a handwriting run directory (besides the Trainer's checkpoints and train-log.json). */
export function runFiles(out: string): { model: string; curve: string } {
  return { model: join(out, HANDWRITING_MODEL_FILE), curve: join(out, 'curve') };
}

export interface HandwritingRunOptions extends RunFlags {
  data: StrokeDataOptions;
  /** The architecture; `budget` (parameters) chooses `hiddenSize` when given. */
  model: Omit<HandwritingModelConfig, 'hiddenSize'> & { hiddenSize: number; budget?: number };
  train: HandwritingTrainConfig & { steps: number };
  /** The run directory (see `runTraining` in src/node/run-dir.ts). */
  out: string;
}

export interface HandwritingRunHooks {
  log?: (message: string) => void;
  onStep?: (s: StepInfo) => void;
  onEval?: (e: EvalInfo) => void;
}

/** What a training run reports. */
export interface HandwritingRunSummary {
  out: string;
  model: string;
  curve: { svg: string; png: string };
  cell: string;
  layers: number;
  hidden: number;
  parameters: number;
  steps: number;
  seconds: number;
  skippedSteps: number;
  valid: EvalResult;
  history: { step: number; trainLoss: number; nllPerSequence: number; nllPerPoint: number }[];
}

/**
 * Train a handwriting network into a run directory through the one Trainer
 * (`runTraining`: created and locked directory, checkpoints, exact `--resume`, Ctrl-C),
 * then save `<out>/handwriting.safetensors` (weights, normalisation, results) and the
 * validation curve `<out>/curve.svg/.png`. A run that had already finished returns its
 * `FinishedRun` and changes nothing.
 */
export async function runHandwritingTraining(
  o: HandwritingRunOptions,
  hooks: HandwritingRunHooks = {},
): Promise<HandwritingRunSummary | FinishedRun> {
  const log = hooks.log ?? (() => {});
  const { budget, ...arch } = o.model;
  if (arch.peephole && !cellTakes(arch.cell, 'peephole'))
    throw new KiokuError(`--peephole is only for --cell lstm, got --cell ${arch.cell}`);
  const hidden = budget !== undefined ? hiddenSizeForBudget(arch, budget) : arch.hiddenSize;
  const modelConfig = {
    cell: arch.cell,
    hiddenSize: hidden,
    numLayers: arch.numLayers,
    mixtures: arch.mixtures,
    skip: arch.skip,
    peephole: arch.peephole,
    seed: arch.seed,
  };
  const t0 = Date.now();
  const data = loadStrokeData(o.data);
  const model = new HandwritingModel(modelConfig);
  log(`data: ${data.description}`);
  log(
    `model: ${arch.numLayers} × ${hidden} ${arch.cell}${arch.peephole ? ' (peepholes)' : ''}${arch.skip ? ' with skip connections' : ''}, M = ${arch.mixtures}, ${countParameters(modelConfig)} parameters`,
  );
  const trainConfig = normalizeTrainConfig(o.train);
  const d = o.data;
  let task: HandwritingTask | null = null;
  let events: ((e: TrainEvent) => void) | null = null;
  const run = await runTraining({
    out: o.out,
    resume: o.resume,
    overwrite: o.overwrite,
    allowChange: o.allowChange,
    // What --resume compares (data files by content).
    settings: {
      ...modelConfig,
      ...trainConfig,
      // Memory vs time only: a resumed run may change it.
      gradCheckpoint: undefined,
      clip: undefined,
      clipOutput: trainConfig.clip.output,
      clipLayer: trainConfig.clip.layer,
      clipNorm: trainConfig.clip.norm,
      ...d,
      path:
        d.path === undefined
          ? undefined
          : d.source === 'iam'
            ? folderFingerprint(d.path, findXmlFiles(d.path))
            : fileFingerprint(d.path),
      validPath: d.validPath !== undefined ? fileFingerprint(d.validPath) : undefined,
    },
    log,
    onEvent: (e) => events?.(e),
    build: () => {
      const t = new HandwritingTask(model, data, trainConfig);
      task = t;
      events = handwritingEvents(t, { onStep: hooks.onStep, onEval: hooks.onEval });
      return {
        task: t,
        options: handwritingTrainerOptions(trainConfig),
        meta: () => ({
          config: { kind: 'kioku-handwriting-run', model: modelConfig },
          extra: { stats: data.stats },
        }),
      };
    },
  });
  if (run.finished) return run;
  if (!task) throw new KiokuError(`handwriting train: ${o.out}: the run built no task`);
  const result = handwritingResult(task, trainConfig, run.result.skippedSteps);
  const seconds = (Date.now() - t0) / 1000;
  const f = result.final;
  const valid: EvalResult = {
    nllPerSequence: f.nllPerSequence,
    nllPerPoint: f.nllPerPoint,
    ssePerSequence: f.ssePerSequence,
    ssePerPoint: f.ssePerPoint,
    sequences: f.sequences,
    points: f.points,
  };
  const history = result.history.map((h) => ({
    step: h.step,
    trainLoss: h.trainLoss,
    nllPerSequence: h.nllPerSequence,
    nllPerPoint: h.nllPerPoint,
  }));
  const files = runFiles(o.out);
  saveHandwritingModel(files.model, model, data.stats, {
    data: data.description,
    dataOptions: o.data,
    train: result.config,
    parameters: model.numParameters(),
    seconds: Math.round(seconds),
    skippedSteps: result.skippedSteps,
    valid,
    history,
    ...(data.acknowledgement ? { acknowledgement: data.acknowledgement } : {}),
  });
  const curve = await writeFigure(
    files.curve,
    lineChart({
      title: `${arch.cell} handwriting NLL`,
      data: result.history.flatMap((h) => [
        { step: h.step, nll: h.nllPerPoint, split: 'validation' },
        { step: h.step, nll: h.trainLoss, split: 'train (batches)' },
      ]),
      x: 'step',
      y: 'nll',
      color: 'split',
      yTitle: 'NLL (nats/point)',
    }),
  );
  return {
    out: o.out,
    model: files.model,
    curve,
    cell: arch.cell,
    layers: arch.numLayers,
    hidden,
    parameters: model.numParameters(),
    steps: trainConfig.steps,
    seconds,
    skippedSteps: result.skippedSteps,
    valid,
    history,
  };
}

/** Validation NLL and SSE of a saved model on the validation lines of `data`, in the model's own normalisation. */
export function evaluateSavedModel(model: string, data: StrokeDataOptions): EvalResult & { path: string } {
  const loaded = loadHandwritingModel(resolveModelPath(model));
  const d = loadStrokeData(data);
  const valid = d.valid.map((s) => normalizeOffsets(denormalizeOffsets(s, d.stats), loaded.stats));
  return { path: loaded.path, ...evaluateHandwriting(loaded.model, valid) };
}

/** Write `<base>.svg` and `<base>.png` (rasterised at `scale` × the SVG's size), atomically. */
export function writeSvgAndPng(base: string, svg: string, scale = 2): { svg: string; png: string } {
  makeDirs(dirname(base));
  writeFileAtomic(`${base}.svg`, Buffer.from(svg));
  writeFileAtomic(`${base}.png`, svgToPng(svg, scale));
  return { svg: `${base}.svg`, png: `${base}.png` };
}

/** Write rows of drawings as `<base>.svg` and `<base>.png`. */
export function writeDrawingFigure(
  base: string,
  rows: DrawingRow[],
  opts: DrawOptions = {},
  scale = 2,
): { svg: string; png: string } {
  return writeSvgAndPng(base, drawingsToSvg(rows, opts), scale);
}

/**
 * A line named on the command line, in raw units: `valid:N` / `train:N` of `data`,
 * `file.json[:N]` (stroke-3), or `file.xml` (IAM lineStrokes).
 */
export function resolveLine(spec: string, data: StrokeDataOptions): OffsetSequence {
  const m = /^(valid|train):(\d+)$/.exec(spec);
  if (m) {
    const d = loadStrokeData(data);
    const list = m[1] === 'valid' ? d.valid : d.train;
    const i = Number(m[2]);
    if (i >= list.length)
      throw new KiokuError(
        `--line ${spec}: the ${m[1]} split has ${list.length} lines (0..${list.length - 1})`,
      );
    return denormalizeOffsets(list[i], d.stats);
  }
  if (/\.xml$/i.test(spec)) return drawingToOffsets(dropOutliers(loadLineStrokesFile(spec)).drawing);
  const j = /^(.*\.json)(?::(\d+))?$/i.exec(spec);
  if (j) {
    const seqs = loadStroke3File(j[1]);
    const i = Number(j[2] ?? 0);
    if (i >= seqs.length) throw new KiokuError(`--line ${spec}: ${j[1]} has ${seqs.length} drawings`);
    return seqs[i];
  }
  throw new KiokuError(
    `--line/--prime must be valid:N, train:N, a stroke-3 .json[:N] file or an IAM .xml file, got ${JSON.stringify(spec)}`,
  );
}

export interface SampleFigureOptions {
  model: string;
  data: StrokeDataOptions;
  /** Run directory: `sample.svg`, `sample.png` (and `sample.json` with `stroke3`). */
  out: string;
  steps: number;
  count: number;
  bias: number;
  temperature: number;
  seed: number;
  /** Continue this line (see `resolveLine`), cut to `primePoints`. */
  prime?: string;
  primePoints?: number;
  /** Also write the samples as stroke-3 JSON to this file. */
  stroke3?: string;
  pngScale: number;
}

/** Generate handwriting (free-running or primed) and draw it. */
export function sampleFigure(o: SampleFigureOptions): {
  svg: string;
  png: string;
  stroke3?: string;
  samples: number;
  points: number;
  primePoints: number;
} {
  const loaded = loadHandwritingModel(resolveModelPath(o.model));
  let prime: OffsetSequence | undefined;
  if (o.prime) {
    prime = resolveLine(o.prime, o.data);
    const k = o.primePoints;
    if (k !== undefined && k < prime.length)
      prime = { ...prime, data: prime.data.slice(0, k * 3), length: k };
  }
  const r = sampleHandwriting(loaded.model, loaded.stats, { ...o, prime });
  const cell = loaded.model.config.cell;
  const rows: DrawingRow[] = r.samples.map((s, i) => {
    const d = offsetsToDrawing(s);
    if (!prime)
      return {
        drawing: d,
        label: `${cell} sample ${i + 1} (b = ${o.bias}, τ = ${o.temperature}, seed ${o.seed})`,
      };
    // Primed: the prime in grey, the continuation in ink.
    const head = offsetsToDrawing({ data: s.data.subarray(0, r.primeLength * 3), length: r.primeLength });
    const end = head.strokes.flat().at(-1) ?? { x: 0, y: 0 };
    const tail = offsetsToDrawing(
      { data: s.data.subarray(r.primeLength * 3), length: s.length - r.primeLength },
      end,
    );
    return {
      drawing: tail,
      label: `${cell} continuation ${i + 1} of "${prime.text ?? prime.id ?? 'prime'}" (b = ${o.bias}, τ = ${o.temperature})`,
      overlays: [{ drawing: head, color: '#9a9a9a', opacity: 1, width: 2 }],
    };
  });
  const fig = writeDrawingFigure(join(o.out, 'sample'), rows, {}, o.pngScale);
  if (o.stroke3) {
    makeDirs(dirname(o.stroke3));
    writeFileAtomic(o.stroke3, Buffer.from(toStroke3Json(r.samples)));
  }
  return {
    ...fig,
    ...(o.stroke3 ? { stroke3: o.stroke3 } : {}),
    samples: r.samples.length,
    points: o.steps,
    primePoints: prime ? r.primeLength : 0,
  };
}

/** The predicted next-point density along a line (Graves Fig. 10) as `<out>/density.svg/.png`. */
export async function densityFigure(o: {
  model: string;
  data: StrokeDataOptions;
  line: string;
  out: string;
  width: number;
  strokes: boolean;
  pngScale: number;
}): Promise<{ svg: string; png: string; points: number; nll: number; nllPerPoint: number }> {
  const loaded = loadHandwritingModel(resolveModelPath(o.model));
  const line = resolveLine(o.line, o.data);
  const trace = predictAlongLine(loaded.model, loaded.stats, line);
  const grid = densityGrid(trace, { width: o.width });
  const total = trace.nll.reduce((a, b) => a + b, 0);
  const cell = loaded.model.config.cell;
  const title = `${cell}: predicted density of the next point along "${line.text ?? line.id ?? o.line}" (NLL ${total.toFixed(1)} nats, ${(total / trace.nll.length).toFixed(3)} per point)`;
  const svg = await vegaLiteToSvg(densityFigureSpec(trace, grid, { title, strokes: o.strokes }));
  const fig = writeSvgAndPng(join(o.out, 'density'), svg, o.pngScale);
  return { ...fig, points: line.length, nll: total, nllPerPoint: total / trace.nll.length };
}

/** Many sampled continuations ("hairs") from points of a line, as `<out>/hairs.svg/.png`. */
export function hairsFigure(o: {
  model: string;
  data: StrokeDataOptions;
  line: string;
  /** Points of the line to branch from (default: 4 evenly spaced). */
  at?: number[];
  count: number;
  length: number;
  bias: number;
  temperature: number;
  seed: number;
  out: string;
  pngScale: number;
}): { svg: string; png: string; at: number[] } {
  const loaded = loadHandwritingModel(resolveModelPath(o.model));
  const line = resolveLine(o.line, o.data);
  for (const a of o.at ?? [])
    if (a >= line.length)
      throw new KiokuError(
        `--at: point ${a} is past the end of the line (${line.length} points: 0 to ${line.length - 1})`,
      );
  const ats = o.at ?? [0.2, 0.4, 0.6, 0.8].map((f) => Math.floor(f * (line.length - 1)));
  const drawing = offsetsToDrawing(line);
  const pts = drawing.strokes.flat();
  const palette = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
  const overlays: NonNullable<DrawingRow['overlays']> = [];
  const marks: NonNullable<DrawingRow['marks']> = [];
  ats.forEach((at, i) => {
    const color = palette[i % palette.length];
    const hairs = sampleHairs(loaded.model, loaded.stats, line, at, { ...o, seed: o.seed + i });
    // Each hair starts at point `at`; pen-up moves are drawn as gaps.
    for (const h of hairs)
      overlays.push({ drawing: offsetsToDrawing(h, pts[at]), color, opacity: 0.35, width: 1.2 });
    marks.push({ ...pts[at], color });
  });
  const cell = loaded.model.config.cell;
  const label = `${cell}: ${o.count} sampled continuations of ${o.length} points from points ${ats.join(', ')} of "${line.text ?? line.id}" (b = ${o.bias})`;
  const fig = writeDrawingFigure(
    join(o.out, 'hairs'),
    [{ drawing, label, color: '#b0b0b0', overlays, marks }],
    {},
    o.pngScale,
  );
  return { ...fig, at: ats };
}

/** Draw lines of a stroke data set as `<out>/data.svg/.png`, and optionally export the split as stroke-3. */
export function dataPreview(o: {
  data: StrokeDataOptions;
  split: 'train' | 'valid';
  count: number;
  points: boolean;
  out: string;
  pngScale: number;
  stroke3?: string;
}): {
  description: string;
  stats: { meanX: number; meanY: number; stdX: number; stdY: number };
  lines: number;
  points: number;
  medianPoints: number;
  acknowledgement?: string;
  svg: string;
  png: string;
  stroke3?: string;
} {
  const data = loadStrokeData(o.data);
  const split = (o.split === 'valid' ? data.valid : data.train).map((s) => denormalizeOffsets(s, data.stats));
  const pts = split.map((s) => s.length).sort((a, b) => a - b);
  const rows = split
    .slice(0, o.count)
    .map((s) => ({ drawing: offsetsToDrawing(s), label: `${s.id ?? ''}${s.text ? `: ${s.text}` : ''}` }));
  const fig = writeDrawingFigure(
    join(o.out, 'data'),
    rows,
    { showPoints: o.points, showPenUps: o.points },
    o.pngScale,
  );
  if (o.stroke3) {
    makeDirs(dirname(o.stroke3));
    const ack: Record<string, string> = data.acknowledgement
      ? { acknowledgement: `Hershey fonts: ${data.acknowledgement}` }
      : {};
    writeFileAtomic(o.stroke3, Buffer.from(toStroke3Json(split, 3, ack)));
  }
  const { meanX, meanY, stdX, stdY } = data.stats;
  return {
    description: data.description,
    stats: { meanX, meanY, stdX, stdY },
    lines: split.length,
    points: pts.reduce((a, b) => a + b, 0),
    medianPoints: pts.length ? pts[pts.length >> 1] : 0,
    ...(data.acknowledgement ? { acknowledgement: data.acknowledgement } : {}),
    ...fig,
    ...(o.stroke3 ? { stroke3: o.stroke3 } : {}),
  };
}

/** What `saveHandwritingModel` stored about a run (the fields `compareModels` reads). */
interface SavedInfo {
  train?: { steps?: number };
  valid?: EvalResult;
  history?: { step: number; nllPerPoint: number; nllPerSequence: number }[];
}

export interface ComparedModel {
  path: string;
  cell: string;
  peephole: boolean;
  layers: number;
  hidden: number;
  parameters: number;
  steps?: number;
  valid: EvalResult;
}

/**
 * Saved models side by side (e.g. the RNN, LSTM and GRU of equal size): validation NLL as
 * saved at training, or evaluated again on `evaluateOn`; the validation curves as
 * `<out>/compare.svg/.png` when `out` is given.
 */
export async function compareModels(o: {
  models: string[];
  evaluateOn?: StrokeDataOptions;
  out?: string;
}): Promise<{ models: ComparedModel[]; figure?: { svg: string; png: string } }> {
  const data = o.evaluateOn ? loadStrokeData(o.evaluateOn) : null;
  const curve: Record<string, unknown>[] = [];
  const models = o.models.map((name): ComparedModel => {
    const l = loadHandwritingModel(resolveModelPath(name));
    const info: SavedInfo = l.info ?? {};
    const c = l.model.config;
    let v = info.valid;
    if (data) {
      const valid = data.valid.map((s) => normalizeOffsets(denormalizeOffsets(s, data.stats), l.stats));
      v = evaluateHandwriting(l.model, valid);
    }
    if (!v) throw new KiokuError(`${l.path}: no saved validation result; use --evaluate`);
    for (const h of info.history ?? [])
      curve.push({ step: h.step, nll: h.nllPerPoint, model: `${c.cell} ${c.numLayers}×${c.hiddenSize}` });
    return {
      path: l.path,
      cell: c.cell,
      peephole: c.peephole,
      layers: c.numLayers,
      hidden: c.hiddenSize,
      parameters: l.model.numParameters(),
      ...(info.train?.steps !== undefined ? { steps: info.train.steps } : {}),
      valid: v,
    };
  });
  if (!o.out || curve.length === 0) return { models };
  const figure = await writeFigure(
    join(o.out, 'compare'),
    lineChart({
      title: 'Validation NLL during training',
      data: curve,
      x: 'step',
      y: 'nll',
      color: 'model',
      yTitle: 'validation NLL (nats/point)',
    }),
  );
  return { models, figure };
}

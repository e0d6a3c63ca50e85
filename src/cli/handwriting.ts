/**
 * `kioku handwriting ...`: the lecture's exercise 2, Graves (2013) §4 handwriting
 * prediction with a mixture density network, from the command line.
 *
 * | command | what |
 * |---|---|
 * | `handwriting data` | preview / export the built-in Hershey set, or convert IAM-OnDB to stroke-3 |
 * | `handwriting train` | train an RNN / LSTM / GRU prediction network; reports NLL per sequence and per point, and SSE |
 * | `handwriting eval` | validation NLL of a saved model |
 * | `handwriting sample` | free-running or primed generation with bias and temperature (SVG + PNG) |
 * | `handwriting density` | the predicted next-point density along a line (Graves Fig. 10), end-of-stroke track, mixture weights |
 * | `handwriting hairs` | many sampled continuations from one point of a line |
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import {
  denormalizeOffsets,
  drawingToOffsets,
  dropOutliers,
  normalizeOffsets,
  type OffsetSequence,
  offsetsToDrawing,
} from '../wings/handwriting/strokes.js';
import { loadLineStrokesFile } from '../wings/handwriting/strokes-iam.js';
import { loadStroke3File, toStroke3Json } from '../wings/handwriting/strokes-stroke3.js';
import { loadStrokeData, type StrokeDataOptions, type StrokeSource } from '../wings/handwriting/data.js';
import { densityGrid, predictAlongLine } from '../wings/handwriting/density.js';
import { type DrawingRow, type DrawOptions, drawingsToSvg } from '../wings/handwriting/draw.js';
import { densityFigureSpec } from '../wings/handwriting/figures.js';
import { loadHandwritingModel, resolveModelPath, saveHandwritingModel } from '../wings/handwriting/io.js';
import { countParameters, HandwritingModel, hiddenSizeForBudget } from '../wings/handwriting/model.js';
import { cellNames } from '../nn/cells.js';
import { sampleHairs, sampleHandwriting } from '../wings/handwriting/sample.js';
import {
  evaluateHandwriting,
  type EvalInfo,
  trainHandwriting,
  type TrainProgress,
} from '../wings/handwriting/train.js';
import { loadCheckpoint, saveCheckpoint } from '../node/checkpoint-file.js';
import { optimizerFromState } from '../optim/factory.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import { writeFileAtomic } from '../node/atomic.js';
import { KiokuError } from '../util/errors.js';
import { lineChart, svgToPng, vegaLiteToSvg, writeFigure } from '../node/plot.js';
import { choiceArg, floatArg, intArg, mergeConfigFile } from './options.js';
import { createProgress } from './progress.js';

const SOURCES: readonly StrokeSource[] = ['builtin', 'iam', 'stroke3'];

function addDataOptions(cmd: Command): Command {
  return cmd
    .option(
      '--data <source>',
      'builtin (Hershey script lines), iam (IAM-OnDB lineStrokes folder) or stroke3 (JSON)',
      choiceArg(SOURCES),
      'builtin',
    )
    .option('--data-path <path>', 'iam: the lineStrokes folder; stroke3: a JSON file of lines')
    .option(
      '--valid-path <file>',
      'stroke3: a JSON file of validation lines (else --valid-fraction of --data-path)',
    )
    .option(
      '--valid-fraction <x>',
      'fraction of lines held out for validation (iam, stroke3)',
      floatArg(0, 0.9),
      0.1,
    )
    .option('--smooth <window>', 'Savitzky–Golay smoothing window (odd ≥ 3; 0 = off)', intArg(0, 101), 0)
    .option('--no-outliers', 'keep outlier jumps (IAM data; removed by default)')
    .option('--data-seed <n>', 'builtin: seed of the generated data set', intArg(0, 2 ** 31), 1)
    .option('--limit <n>', 'iam: read at most this many lines', intArg(1));
}

function dataOptions(o: Record<string, unknown>): StrokeDataOptions {
  const smooth = o.smooth as number;
  if (smooth !== 0 && (smooth < 3 || smooth % 2 === 0))
    throw new KiokuError(`--smooth must be 0 or an odd window ≥ 3, got ${smooth}`);
  return {
    source: o.data as StrokeSource,
    path: o.dataPath as string | undefined,
    validPath: o.validPath as string | undefined,
    validFraction: o.validFraction as number,
    smooth,
    outliers: o.outliers as boolean,
    limit: o.limit as number | undefined,
    builtin: { seed: o.dataSeed as number },
  };
}

function fmtEval(e: EvalInfo): string {
  return (
    `step ${String(e.step).padStart(5)} | train ${e.trainLoss.toFixed(3)} nats/pt | ` +
    `valid ${e.nllPerSequence.toFixed(1)} nats/seq, ${e.nllPerPoint.toFixed(4)} nats/pt | SSE ${e.ssePerSequence.toFixed(1)}/seq`
  );
}

function ensureDir(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
}

export function registerHandwritingCommands(program: Command): void {
  const hw = program
    .command('handwriting')
    .description(
      'Graves (2013) §4 handwriting prediction with a mixture density network: data, train, eval, sample, density, hairs, compare',
    );

  addDataOptions(
    hw
      .command('train')
      .description(
        'train a handwriting prediction network (stacked RNN/LSTM/GRU with skip connections, MDN output)',
      )
      .option('--cell <cell>', 'recurrent cell: rnn, lstm or gru', choiceArg(cellNames()), 'lstm')
      .option('--hidden <n>', 'hidden units per layer', intArg(1, 4096), 64)
      .option(
        '--budget <n>',
        'choose --hidden so the model has about this many parameters (equal-size cell comparisons)',
        intArg(100),
      )
      .option('--layers <n>', 'stacked recurrent layers', intArg(1, 16), 2)
      .option('--mixtures <n>', 'mixture components M (1 + 6M outputs)', intArg(1, 100), 20)
      .option('--peephole', 'LSTM peephole connections (as in the paper)', false)
      .option(
        '--no-skip',
        'no skip connections (input only to the first layer, only the last layer to the output)',
      )
      .option(
        '--optimizer <name>',
        'adam, graves-rmsprop (eqs. 38-45) or rmsprop',
        choiceArg(['adam', 'graves-rmsprop', 'rmsprop'] as const),
        'adam',
      )
      .option(
        '--lr <x>',
        'learning rate (default 2e-3 for adam, 1e-4 for graves-rmsprop)',
        floatArg(0, 10, true),
      )
      .option(
        '--lr-final <x>',
        'decay the learning rate linearly to lr × this at the last step',
        floatArg(0, 1),
        1,
      )
      .option('--batch <n>', 'sequences per batch', intArg(1, 4096), 16)
      .option('--seq-len <n>', 'window length in points (0 = whole lines)', intArg(0), 150)
      .option('--steps <n>', 'optimizer steps', intArg(1), 1000)
      .option(
        '--clip-output <x>',
        'clip output derivatives to [−x, x] (Graves: 100; 0 = off)',
        floatArg(0),
        100,
      )
      .option(
        '--clip-layer <x>',
        'clip derivatives into each recurrent layer to [−x, x] (Graves: 10; 0 = off)',
        floatArg(0),
        10,
      )
      .option('--clip-norm <x>', 'clip the global gradient norm (0 = off)', floatArg(0), 10)
      .option('--eval-every <n>', 'validate every n steps (0 = at the end only)', intArg(0), 100)
      .option('--seed <n>', 'seed of initialisation and batch sampling', intArg(0, 2 ** 31), 1)
      .option('--out <file>', 'where to save the model (.safetensors)', 'runs/handwriting/model.safetensors')
      .option(
        '--checkpoint-every <n>',
        'save <out>.ckpt.safetensors (weights, optimizer, step, RNG) every n steps (0 = never)',
        intArg(0),
        0,
      )
      .option('--resume', 'continue exactly from <out>.ckpt.safetensors (only --steps may differ)')
      .option('--curve <base>', 'also write the validation curve figure to <base>.svg/.png')
      .option('--quiet', 'no progress output')
      .option('--config <file>', 'JSON file setting any of these options by camelCase name (flags win)'),
  ).action(async (_opts, cmd: Command) => {
    const o = mergeConfigFile(cmd);
    const cell = o.cell as string;
    const layers = o.layers as number;
    const mixtures = o.mixtures as number;
    const skip = o.skip as boolean;
    const peephole = o.peephole as boolean;
    if (peephole && cell !== 'lstm')
      throw new KiokuError(`--peephole is only for --cell lstm, got --cell ${cell}`);
    const hidden =
      o.budget !== undefined
        ? hiddenSizeForBudget({ cell, numLayers: layers, mixtures, skip, peephole }, o.budget as number)
        : (o.hidden as number);
    const modelConfig = {
      cell,
      hiddenSize: hidden,
      numLayers: layers,
      mixtures,
      skip,
      peephole,
      seed: o.seed as number,
    };
    const quiet = Boolean(o.quiet);
    const t0 = Date.now();
    const data = loadStrokeData(dataOptions(o));
    const model = new HandwritingModel(modelConfig);
    const log = (m: string): void => {
      if (!quiet) console.error(m);
    };
    log(`data: ${data.description}`);
    log(
      `model: ${layers} × ${hidden} ${cell}${peephole ? ' (peepholes)' : ''}${skip ? ' with skip connections' : ''}, M = ${mixtures}, ${countParameters(modelConfig)} parameters`,
    );
    const steps = o.steps as number;
    const progress = createProgress({
      total: steps,
      label: `train ${cell}`,
      unit: 'steps',
      quiet,
      format: `train ${cell} |{bar}| {value}/{total} steps | loss {loss} nats/pt | valid {val} nats/seq | ETA {eta_formatted}`,
    });
    let val = '-';
    const trainConfig = {
      optimizer: o.optimizer as 'adam' | 'graves-rmsprop' | 'rmsprop',
      lr: o.lr as number | undefined,
      lrFinal: o.lrFinal as number,
      batchSize: o.batch as number,
      seqLen: o.seqLen as number,
      steps,
      clip: { output: o.clipOutput as number, layer: o.clipLayer as number, norm: o.clipNorm as number },
      evalEvery: o.evalEvery as number,
      seed: o.seed as number,
      checkpointEvery: o.checkpointEvery as number,
    };
    // Checkpoints (weights, optimizer state, step, RNG) for an exact --resume.
    const ckptPath = `${(o.out as string).replace(/\.safetensors$/, '')}.ckpt.safetensors`;
    const runConfig = { model: modelConfig, train: trainConfig, data: dataOptions(o) };
    const resume: { optimizer?: Optimizer; progress?: TrainProgress } = {};
    if (o.resume) {
      if (!existsSync(ckptPath))
        throw new KiokuError(
          `--resume: no checkpoint at ${ckptPath} (train with --checkpoint-every N first)`,
        );
      const ck = loadCheckpoint(ckptPath);
      const { steps: _a, ...was } = (ck.config as typeof runConfig).train;
      const { steps: _b, ...now } = trainConfig;
      const same =
        JSON.stringify({ ...(ck.config as typeof runConfig), train: was }) ===
        JSON.stringify({ ...runConfig, train: now });
      if (!same) {
        throw new KiokuError(
          `--resume: ${ckptPath} was written with other options (${JSON.stringify(ck.config)}); only --steps may change`,
        );
      }
      model.loadStateDict(ck.model);
      resume.optimizer = optimizerFromState(model.parameters(), ck.optimizer as OptimizerState);
      resume.progress = { ...(ck.extra as TrainProgress), step: ck.step, rng: ck.rng! };
      log(`resuming from ${ckptPath} at step ${ck.step}`);
    }
    let result;
    try {
      result = await trainHandwriting(
        model,
        data,
        trainConfig,
        {
          onStep: (s) => progress.update(s.step, { loss: s.loss.toFixed(3), val }),
          onEval: (e) => {
            val = e.nllPerSequence.toFixed(1);
            progress.log(fmtEval(e));
          },
          onCheckpoint: (p, opt) => {
            if (!(o.checkpointEvery as number) && !o.resume) return;
            ensureDir(ckptPath);
            saveCheckpoint(ckptPath, {
              config: runConfig,
              model: model.stateDict(),
              optimizer: opt.state(),
              step: p.step,
              rng: p.rng,
              extra: { history: p.history, skippedSteps: p.skippedSteps },
            });
          },
        },
        resume,
      );
    } finally {
      progress.stop();
    }
    const seconds = (Date.now() - t0) / 1000;
    const out = o.out as string;
    ensureDir(out);
    const f = result.final;
    saveHandwritingModel(out, model, data.stats, {
      data: data.description,
      dataOptions: dataOptions(o),
      train: result.config,
      parameters: model.numParameters(),
      seconds: Math.round(seconds),
      skippedSteps: result.skippedSteps,
      valid: {
        nllPerSequence: f.nllPerSequence,
        nllPerPoint: f.nllPerPoint,
        ssePerSequence: f.ssePerSequence,
        ssePerPoint: f.ssePerPoint,
        sequences: f.sequences,
        points: f.points,
      },
      history: result.history.map((h) => ({
        step: h.step,
        trainLoss: h.trainLoss,
        nllPerSequence: h.nllPerSequence,
        nllPerPoint: h.nllPerPoint,
      })),
      ...(data.acknowledgement ? { acknowledgement: data.acknowledgement } : {}),
    });
    if (o.curve) {
      const rows = result.history.flatMap((h) => [
        { step: h.step, nll: h.nllPerPoint, split: 'validation' },
        { step: h.step, nll: h.trainLoss, split: 'train (batches)' },
      ]);
      await writeFigure(
        o.curve as string,
        lineChart({
          title: `${cell} handwriting NLL`,
          data: rows,
          x: 'step',
          y: 'nll',
          color: 'split',
          yTitle: 'NLL (nats/point)',
        }),
      );
    }
    console.log(
      `${cell} ${layers}×${hidden} (${model.numParameters()} parameters), ${steps} steps in ${seconds.toFixed(0)} s: ` +
        `validation NLL ${f.nllPerSequence.toFixed(1)} nats/sequence, ${f.nllPerPoint.toFixed(4)} nats/point, SSE ${f.ssePerSequence.toFixed(2)}/sequence ` +
        `(${f.sequences} lines, ${f.points} points); saved ${out}`,
    );
  });

  addDataOptions(
    hw
      .command('eval')
      .description(
        'validation NLL (nats per sequence and per point) and SSE of a saved model, as in Graves Table 3',
      )
      .requiredOption('--model <name|file>', 'pretrained name (rnn, lstm, gru) or a .safetensors file')
      .option('--json', 'print JSON'),
  ).action((_opts, cmd: Command) => {
    const o = cmd.opts();
    const loaded = loadHandwritingModel(resolveModelPath(o.model as string));
    const data = loadStrokeData(dataOptions(o));
    // Evaluate in the model's own normalisation (its training statistics).
    const valid = data.valid.map((s) => normalizeOffsets(denormalizeOffsets(s, data.stats), loaded.stats));
    const e = evaluateHandwriting(loaded.model, valid);
    if (o.json) console.log(JSON.stringify(e));
    else
      console.log(
        `${loaded.path}: validation NLL ${e.nllPerSequence.toFixed(2)} nats/sequence, ${e.nllPerPoint.toFixed(4)} nats/point, ` +
          `SSE ${e.ssePerSequence.toFixed(2)}/sequence (${e.sequences} lines, ${e.points} points)`,
      );
  });

  addDataOptions(
    hw
      .command('sample')
      .description(
        'generate handwriting: free-running, or primed with strokes; sampling bias (Graves eqs. 61-62) and temperature; writes SVG and PNG',
      )
      .requiredOption('--model <name|file>', 'pretrained name (rnn, lstm, gru) or a .safetensors file')
      .option(
        '--out <base>',
        'output path without extension (.svg and .png are written)',
        'runs/handwriting/sample',
      )
      .option('--png-scale <x>', 'PNG pixels per SVG pixel', floatArg(0.25, 8), 2)
      .option('--steps <n>', 'points to generate', intArg(1, 100000), 500)
      .option('--count <n>', 'independent samples (one row each)', intArg(1, 64), 4)
      .option('--bias <b>', 'sampling bias b ≥ 0: σ = exp(σ̂ − b), π = softmax(π̂(1 + b))', floatArg(0, 100), 0)
      .option('--temperature <t>', 'temperature τ > 0 (π̂/τ, σ√τ, ê/τ)', floatArg(0, 100, true), 1)
      .option('--seed <n>', 'sampling seed', intArg(0, 2 ** 31), 1)
      .option(
        '--prime <line>',
        'continue this line: valid:N or train:N (of --data), a stroke-3 .json[:N] or an IAM .xml file',
      )
      .option('--prime-points <n>', 'use only the first n points of the prime', intArg(1))
      .option('--stroke3 <file>', 'also write the samples as stroke-3 JSON'),
  ).action((_opts, cmd: Command) => {
    const o = cmd.opts();
    const loaded = loadHandwritingModel(resolveModelPath(o.model as string));
    let prime: OffsetSequence | undefined;
    if (o.prime) {
      prime = resolveLine(o.prime as string, o);
      const k = o.primePoints as number | undefined;
      if (k !== undefined && k < prime.length)
        prime = { ...prime, data: prime.data.slice(0, k * 3), length: k };
    }
    const r = sampleHandwriting(loaded.model, loaded.stats, {
      steps: o.steps as number,
      count: o.count as number,
      bias: o.bias as number,
      temperature: o.temperature as number,
      seed: o.seed as number,
      prime,
    });
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
        label: `${cell} continuation ${i + 1} of "${prime!.text ?? prime!.id ?? 'prime'}" (b = ${o.bias}, τ = ${o.temperature})`,
        overlays: [{ drawing: head, color: '#9a9a9a', opacity: 1, width: 2 }],
      };
    });
    const out = o.out as string;
    writeDrawingFigure(out, rows, {}, o.pngScale as number);
    if (o.stroke3) {
      ensureDir(o.stroke3 as string);
      writeFileAtomic(o.stroke3 as string, Buffer.from(toStroke3Json(r.samples)));
    }
    console.log(
      `wrote ${out}.svg and ${out}.png (${r.samples.length} × ${o.steps} points${prime ? `, primed with ${r.primeLength} points` : ''})`,
    );
  });

  addDataOptions(
    hw
      .command('density')
      .description(
        'the predicted next-point density along a line as a heatmap (Graves Fig. 10), with the end-of-stroke probability, mixture weights and per-point NLL',
      )
      .requiredOption('--model <name|file>', 'pretrained name (rnn, lstm, gru) or a .safetensors file')
      .option(
        '--line <line>',
        'valid:N or train:N (of --data), a stroke-3 .json[:N] or an IAM .xml file',
        'valid:0',
      )
      .option(
        '--out <base>',
        'output path without extension (.svg and .png are written)',
        'runs/handwriting/density',
      )
      .option('--png-scale <x>', 'PNG pixels per SVG pixel', floatArg(0.25, 8), 2)
      .option('--width <px>', 'heatmap width in pixels', intArg(100, 4000), 900)
      .option('--no-strokes', 'do not draw the line over the heatmap'),
  ).action(async (_opts, cmd: Command) => {
    const o = cmd.opts();
    const loaded = loadHandwritingModel(resolveModelPath(o.model as string));
    const line = resolveLine(o.line as string, o);
    const trace = predictAlongLine(loaded.model, loaded.stats, line);
    const grid = densityGrid(trace, { width: o.width as number });
    const total = trace.nll.reduce((a, b) => a + b, 0);
    const cell = loaded.model.config.cell;
    const title = `${cell}: predicted density of the next point along "${line.text ?? line.id ?? o.line}" (NLL ${total.toFixed(1)} nats, ${(total / trace.nll.length).toFixed(3)} per point)`;
    const svg = await vegaLiteToSvg(densityFigureSpec(trace, grid, { title, strokes: o.strokes as boolean }));
    writeSvgAndPng(o.out as string, svg, o.pngScale as number);
    console.log(`wrote ${o.out}.svg and ${o.out}.png (${line.length} points; NLL ${total.toFixed(2)} nats)`);
  });

  addDataOptions(
    hw
      .command('hairs')
      .description(
        'many sampled continuations ("hairs") from one point of a line: the spread of the predicted distribution',
      )
      .requiredOption('--model <name|file>', 'pretrained name (rnn, lstm, gru) or a .safetensors file')
      .option(
        '--line <line>',
        'valid:N or train:N (of --data), a stroke-3 .json[:N] or an IAM .xml file',
        'valid:0',
      )
      .option('--at <points>', 'comma-separated points of the line to branch from (default: 4 evenly spaced)')
      .option('--count <n>', 'continuations per point', intArg(1, 500), 40)
      .option('--length <n>', 'points per continuation', intArg(1, 2000), 25)
      .option('--bias <b>', 'sampling bias b ≥ 0', floatArg(0, 100), 0)
      .option('--temperature <t>', 'temperature τ > 0', floatArg(0, 100, true), 1)
      .option('--seed <n>', 'sampling seed', intArg(0, 2 ** 31), 1)
      .option(
        '--out <base>',
        'output path without extension (.svg and .png are written)',
        'runs/handwriting/hairs',
      )
      .option('--png-scale <x>', 'PNG pixels per SVG pixel', floatArg(0.25, 8), 2),
  ).action((_opts, cmd: Command) => {
    const o = cmd.opts();
    const loaded = loadHandwritingModel(resolveModelPath(o.model as string));
    const line = resolveLine(o.line as string, o);
    const ats = o.at
      ? String(o.at)
          .split(',')
          .map((v) => intArg(0, line.length - 1)(v.trim()))
      : [0.2, 0.4, 0.6, 0.8].map((f) => Math.floor(f * (line.length - 1)));
    const drawing = offsetsToDrawing(line);
    const pts = drawing.strokes.flat();
    const palette = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
    const overlays: NonNullable<DrawingRow['overlays']> = [];
    const marks: NonNullable<DrawingRow['marks']> = [];
    ats.forEach((at, i) => {
      const color = palette[i % palette.length];
      const hairs = sampleHairs(loaded.model, loaded.stats, line, at, {
        count: o.count as number,
        length: o.length as number,
        bias: o.bias as number,
        temperature: o.temperature as number,
        seed: (o.seed as number) + i,
      });
      for (const h of hairs) {
        // Each hair starts at point `at`; pen-up moves are drawn as gaps.
        overlays.push({ drawing: offsetsToDrawing(h, pts[at]), color, opacity: 0.35, width: 1.2 });
      }
      marks.push({ ...pts[at], color });
    });
    const cell = loaded.model.config.cell;
    const label = `${cell}: ${o.count} sampled continuations of ${o.length} points from points ${ats.join(', ')} of "${line.text ?? line.id}" (b = ${o.bias})`;
    writeDrawingFigure(
      o.out as string,
      [{ drawing, label, color: '#b0b0b0', overlays, marks }],
      {},
      o.pngScale as number,
    );
    console.log(`wrote ${o.out}.svg and ${o.out}.png`);
  });

  addDataOptions(
    hw
      .command('data')
      .description(
        'draw lines of a stroke data set (the built-in Hershey set by default) and export them as stroke-3 JSON',
      )
      .option('--split <split>', 'train or valid', choiceArg(['train', 'valid'] as const), 'train')
      .option('--count <n>', 'lines to draw', intArg(1, 200), 6)
      .option('--points', 'mark every sampled point and the pen-up moves')
      .option(
        '--out <base>',
        'figure path without extension (.svg and .png are written)',
        'runs/handwriting/data',
      )
      .option('--png-scale <x>', 'PNG pixels per SVG pixel', floatArg(0.25, 8), 2)
      .option('--stroke3 <file>', 'write the whole split (raw units) as stroke-3 JSON'),
  ).action((_opts, cmd: Command) => {
    const o = cmd.opts();
    const data = loadStrokeData(dataOptions(o));
    const split = (o.split === 'valid' ? data.valid : data.train).map((s) =>
      denormalizeOffsets(s, data.stats),
    );
    console.log(data.description);
    console.log(
      `offset statistics (training set): mean (${data.stats.meanX.toFixed(4)}, ${data.stats.meanY.toFixed(4)}), std (${data.stats.stdX.toFixed(4)}, ${data.stats.stdY.toFixed(4)})`,
    );
    const pts = split.map((s) => s.length).sort((a, b) => a - b);
    if (pts.length)
      console.log(
        `${o.split}: ${split.length} lines, ${pts.reduce((a, b) => a + b, 0)} points (median ${pts[pts.length >> 1]} per line)`,
      );
    if (data.acknowledgement) console.log(`Hershey fonts: ${data.acknowledgement}`);
    const rows = split
      .slice(0, o.count as number)
      .map((s) => ({ drawing: offsetsToDrawing(s), label: `${s.id ?? ''}${s.text ? `: ${s.text}` : ''}` }));
    writeDrawingFigure(
      o.out as string,
      rows,
      { showPoints: Boolean(o.points), showPenUps: Boolean(o.points) },
      o.pngScale as number,
    );
    console.log(`wrote ${o.out}.svg and ${o.out}.png`);
    if (o.stroke3) {
      ensureDir(o.stroke3 as string);
      writeFileAtomic(
        o.stroke3 as string,
        Buffer.from(
          toStroke3Json(
            split,
            3,
            data.acknowledgement ? { acknowledgement: `Hershey fonts: ${data.acknowledgement}` } : {},
          ),
        ),
      );
      console.log(`wrote ${split.length} lines to ${o.stroke3}`);
    }
  });
  registerHandwritingCompare(hw);
}

interface SavedInfo {
  parameters?: number;
  seconds?: number;
  train?: { steps?: number };
  valid?: {
    nllPerSequence: number;
    nllPerPoint: number;
    ssePerSequence: number;
    sequences: number;
    points: number;
  };
  history?: { step: number; nllPerPoint: number; nllPerSequence: number }[];
}

/** `kioku handwriting compare`: the table and validation curves of several saved models. */
function registerHandwritingCompare(hw: Command): void {
  addDataOptions(
    hw
      .command('compare')
      .description(
        'compare saved models (e.g. the RNN, LSTM and GRU of equal size): a markdown table of validation NLL and the validation curves',
      )
      .option('--models <list>', 'comma-separated pretrained names or .safetensors files', 'rnn,lstm,gru')
      .option(
        '--evaluate',
        'evaluate again on the validation lines of --data (else the numbers saved at training)',
      )
      .option('--out <base>', 'also write the validation curves to <base>.svg/.png'),
  ).action(async (_opts, cmd: Command) => {
    const o = cmd.opts();
    const names = String(o.models)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const data = o.evaluate ? loadStrokeData(dataOptions(o)) : null;
    const rows: string[] = [
      '| cell | layers × units | parameters | steps | validation NLL (nats/sequence) | (nats/point) | SSE (per sequence) |',
      '|---|---|---|---|---|---|---|',
    ];
    const curve: Record<string, unknown>[] = [];
    for (const name of names) {
      const l = loadHandwritingModel(resolveModelPath(name));
      const info = l.info as SavedInfo;
      const c = l.model.config;
      let v = info.valid;
      if (data) {
        const valid = data.valid.map((s) => normalizeOffsets(denormalizeOffsets(s, data.stats), l.stats));
        v = evaluateHandwriting(l.model, valid);
      }
      if (!v) throw new KiokuError(`${l.path}: no saved validation result; use --evaluate`);
      rows.push(
        `| ${c.cell}${c.peephole ? ' (peepholes)' : ''} | ${c.numLayers} × ${c.hiddenSize} | ${l.model.numParameters().toLocaleString('en-US')} | ${info.train?.steps ?? '?'} | ${v.nllPerSequence.toFixed(1)} | ${v.nllPerPoint.toFixed(3)} | ${v.ssePerSequence.toFixed(1)} |`,
      );
      for (const h of info.history ?? [])
        curve.push({ step: h.step, nll: h.nllPerPoint, model: `${c.cell} ${c.numLayers}×${c.hiddenSize}` });
    }
    console.log(rows.join('\n'));
    if (o.out && curve.length) {
      await writeFigure(
        o.out as string,
        lineChart({
          title: 'Validation NLL during training',
          data: curve,
          x: 'step',
          y: 'nll',
          color: 'model',
          yTitle: 'validation NLL (nats/point)',
        }),
      );
      console.log(`wrote ${o.out}.svg and ${o.out}.png`);
    }
  });
}

/** Write `<base>.svg` and `<base>.png` (rasterised at `scale` × the SVG's size), atomically. */
function writeSvgAndPng(base: string, svg: string, scale = 2): void {
  ensureDir(base);
  writeFileAtomic(`${base}.svg`, Buffer.from(svg));
  writeFileAtomic(`${base}.png`, svgToPng(svg, scale));
}

/** Write rows of drawings as `<base>.svg` and `<base>.png`. */
function writeDrawingFigure(base: string, rows: DrawingRow[], opts: DrawOptions = {}, scale = 2): void {
  writeSvgAndPng(base, drawingsToSvg(rows, opts), scale);
}

/**
 * A line named on the command line, in raw units: `valid:N` / `train:N` of the data options,
 * `file.json[:N]` (stroke-3), or `file.xml` (IAM lineStrokes).
 */
function resolveLine(spec: string, o: Record<string, unknown>): OffsetSequence {
  const m = /^(valid|train):(\d+)$/.exec(spec);
  if (m) {
    const data = loadStrokeData(dataOptions(o));
    const list = m[1] === 'valid' ? data.valid : data.train;
    const i = Number(m[2]);
    if (i >= list.length)
      throw new KiokuError(
        `--line ${spec}: the ${m[1]} split has ${list.length} lines (0..${list.length - 1})`,
      );
    return denormalizeOffsets(list[i], data.stats);
  }
  if (/\.xml$/i.test(spec)) {
    const d = dropOutliers(loadLineStrokesFile(spec)).drawing;
    return drawingToOffsets(d);
  }
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

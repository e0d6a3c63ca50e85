/**
 * kioku's built-in handwriting data: pen trajectories of real text lines "written" with the
 * Hershey script fonts by simulated writers, so the Graves (2013) §4 exercise runs on a
 * fresh machine without IAM-OnDB. Each writer has a style drawn from a seeded RNG:
 *
 * | trait | effect |
 * |---|---|
 * | font | Hershey script simplex or its cursive variant |
 * | scale, size jitter | letter height, and letter-to-letter size variation |
 * | slant | shear of the letters (forward or upright) |
 * | letter / word spacing | advance between letters and words |
 * | baseline drift | a slow wave and a tilt of the baseline |
 * | smooth jitter | a low-frequency displacement field along the pen path (a hand, not a plotter) |
 * | pen speed, sampling density | points are emitted at equal *time* steps of a pen that slows in corners |
 * | connected strokes | letters of a word are joined into one pen-down stroke (with a writer-specific probability); i-dots and t-bars may be delayed to the end of the word |
 *
 * Everything is deterministic under the seed. Coordinates are Hershey font units (a capital
 * is ~21 units tall), y pointing down, like IAM-OnDB.
 *
 * ```ts
 * const { train, valid } = generateHandwritingDataset({ seed: 1 });   // Drawing[] each
 * const d = writeLine('hello world', randomWriterStyle(new Rng(3)), new Rng(4));
 * ```
 *
 * The glyph data are the Hershey fonts; see `HERSHEY_ACKNOWLEDGEMENT` (kept with any data
 * generated from them).
 */
import { checkNumber, KiokuError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { builtinHersheyFont, type HersheyFont } from './hershey.js';
import { HERSHEY_ACKNOWLEDGEMENT } from './hershey-fonts.js';
import { HERSHEY_TEXT } from './hershey-text.js';
import type { Drawing, Stroke } from './strokes.js';

/** A simulated writer's habits (all lengths in font units). */
export interface WriterStyle {
  font: string;
  scale: number;
  sizeJitter: number;
  slant: number;
  letterSpacing: number;
  wordSpacing: number;
  baselineAmp: number;
  baselineWavelength: number;
  baselinePhase: number;
  baselineTilt: number;
  jitterAmp: number;
  jitterWavelength: number;
  /** Mean distance between sampled points (pen speed × sampling interval). */
  step: number;
  /** Relative variation of pen speed along the line, in [0, 1). */
  speedVariation: number;
  /** How much the pen slows in sharp corners, in [0, 1). */
  cornerSlowdown: number;
  /** Probability that two neighbouring letters of a word are joined without lifting the pen. */
  connectProb: number;
  /** Probability that i-dots and t-bars are written after the rest of the word. */
  delayDiacritics: number;
}

/** Draw a writer's style from `rng`. */
export function randomWriterStyle(
  rng: Rng,
  fonts: readonly string[] = ['scripts', 'scripts', 'cursive'],
): WriterStyle {
  const u = (a: number, b: number): number => rng.uniformRange(a, b);
  return {
    font: fonts[rng.int(fonts.length)],
    scale: u(0.8, 1.2),
    sizeJitter: u(0.02, 0.08),
    slant: u(-0.1, 0.45),
    letterSpacing: u(-1.5, 2.5),
    wordSpacing: u(5, 12),
    baselineAmp: u(0, 2.5),
    baselineWavelength: u(120, 400),
    baselinePhase: u(0, 2 * Math.PI),
    baselineTilt: u(-0.03, 0.03),
    jitterAmp: u(0.15, 0.6),
    jitterWavelength: u(8, 25),
    step: u(1.6, 2.6),
    speedVariation: u(0.05, 0.35),
    cornerSlowdown: u(0.2, 0.6),
    connectProb: u(0.6, 1),
    delayDiacritics: u(0, 1),
  };
}

interface Piece {
  pts: [number, number][];
  word: number;
  letter: number;
  small: boolean; // a diacritic: i-dot, t-bar, ...
}

/** A smooth random function of one variable: a sum of 3 sinusoids with random phases. */
function smoothNoise(rng: Rng, wavelength: number): (s: number) => number {
  const comps = [1, 1.7, 2.9].map((f) => ({
    k: (2 * Math.PI * f) / wavelength,
    phase: rng.uniformRange(0, 2 * Math.PI),
    amp: rng.uniformRange(0.5, 1) / f,
  }));
  const norm = comps.reduce((a, c) => a + c.amp, 0);
  return (s) => comps.reduce((a, c) => a + c.amp * Math.sin(c.k * s + c.phase), 0) / norm;
}

/**
 * Lay out and write one line of text. Characters the font lacks are written as spaces.
 * Returns the drawing in font units (y down), its `text` set.
 */
export function writeLine(
  text: string,
  style: WriterStyle,
  rng: Rng,
  font: HersheyFont = builtinHersheyFont(style.font),
): Drawing {
  // 1. Layout: glyph polylines placed along the line, scaled per letter.
  const pieces: Piece[] = [];
  let cursor = 0;
  let word = 0;
  let letter = 0;
  for (const ch of text) {
    const g = ch === ' ' ? undefined : font.glyphs.get(ch);
    if (!g) {
      cursor += style.wordSpacing + 8 * style.scale;
      word++;
      continue;
    }
    const s = style.scale * (1 + style.sizeJitter * rng.normal());
    for (const poly of g.strokes) {
      const pts = poly.map(([x, y]) => [cursor + (x - g.left) * s, y * s] as [number, number]);
      let minX = Infinity,
        maxX = -Infinity,
        minY = Infinity,
        maxY = -Infinity;
      for (const [x, y] of pts) {
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
        minY = Math.min(minY, y);
        maxY = Math.max(maxY, y);
      }
      const small = Math.hypot(maxX - minX, maxY - minY) < 4 * style.scale && g.strokes.length > 1;
      pieces.push({ pts, word, letter, small });
    }
    cursor += (g.right - g.left) * s + style.letterSpacing;
    letter++;
  }
  if (pieces.length === 0) throw new KiokuError(`writeLine: nothing to write in ${JSON.stringify(text)}`);
  // 2. Stroke order: per word, optionally delay diacritics; join neighbouring letters.
  const strokes: [number, number][][] = [];
  const words = [...new Set(pieces.map((p) => p.word))];
  for (const w of words) {
    const inWord = pieces.filter((p) => p.word === w);
    const delay = rng.uniform() < style.delayDiacritics;
    const body = delay ? inWord.filter((p) => !p.small) : inWord;
    const later = delay ? inWord.filter((p) => p.small) : [];
    let prev: Piece | null = null;
    for (const p of body) {
      const last = strokes[strokes.length - 1];
      const join =
        prev !== null &&
        last !== undefined &&
        !prev.small &&
        !p.small &&
        p.letter !== prev.letter &&
        Math.hypot(p.pts[0][0] - last[last.length - 1][0], p.pts[0][1] - last[last.length - 1][1]) <
          7 * style.scale &&
        rng.uniform() < style.connectProb;
      if (join) last.push(...p.pts);
      else strokes.push(p.pts.map((q) => [q[0], q[1]] as [number, number]));
      prev = p;
    }
    for (const p of later) strokes.push(p.pts.map((q) => [q[0], q[1]] as [number, number]));
  }
  // 3. Slant and baseline drift.
  for (const st of strokes) {
    for (const q of st) {
      const x = q[0] - style.slant * q[1];
      const drift =
        style.baselineAmp * Math.sin((2 * Math.PI * x) / style.baselineWavelength + style.baselinePhase) +
        style.baselineTilt * x;
      q[0] = x;
      q[1] = q[1] + drift;
    }
  }
  // 4. Time sampling with a slowing pen, and a smooth displacement along the path.
  const jx = smoothNoise(rng, style.jitterWavelength);
  const jy = smoothNoise(rng, style.jitterWavelength * 1.3);
  const speed = smoothNoise(rng, 60);
  let arc = 0; // arc length along the whole line, drives the jitter field
  const out: Stroke[] = [];
  for (const st of strokes) {
    const sampled = sampleStroke(st, style, speed, arc);
    arc += sampled.length;
    out.push(
      sampled.points.map(([x, y, s]) => ({
        x: Math.round((x + style.jitterAmp * jx(s)) * 100) / 100,
        y: Math.round((y + style.jitterAmp * jy(s)) * 100) / 100,
      })),
    );
    arc += 20; // pen up: the jitter field moves on
  }
  return { text, strokes: out };
}

/**
 * Resample one polyline at equal time steps of a pen whose speed varies smoothly and drops
 * in sharp corners. Returns points with their global arc position.
 */
function sampleStroke(
  st: [number, number][],
  style: WriterStyle,
  speed: (s: number) => number,
  arc0: number,
): { points: [number, number, number][]; length: number } {
  // Densify to ~0.25 units so corners and arc length are measured finely.
  const fine: [number, number][] = [st[0]];
  for (let i = 1; i < st.length; i++) {
    const [ax, ay] = st[i - 1];
    const [bx, by] = st[i];
    const n = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) / 0.25));
    for (let k = 1; k <= n; k++) fine.push([ax + ((bx - ax) * k) / n, ay + ((by - ay) * k) / n]);
  }
  const cum = [0];
  for (let i = 1; i < fine.length; i++)
    cum.push(cum[i - 1] + Math.hypot(fine[i][0] - fine[i - 1][0], fine[i][1] - fine[i - 1][1]));
  const total = cum[cum.length - 1];
  if (total < 1e-9) return { points: [[st[0][0], st[0][1], arc0]], length: 0 };
  // Cornerness at each original vertex: turning angle / π.
  const corners: { s: number; c: number }[] = [];
  let acc = 0;
  for (let i = 1; i + 1 < st.length; i++) {
    acc += Math.hypot(st[i][0] - st[i - 1][0], st[i][1] - st[i - 1][1]);
    const a1 = Math.atan2(st[i][1] - st[i - 1][1], st[i][0] - st[i - 1][0]);
    const a2 = Math.atan2(st[i + 1][1] - st[i][1], st[i + 1][0] - st[i][0]);
    let d = Math.abs(a2 - a1);
    if (d > Math.PI) d = 2 * Math.PI - d;
    if (d > Math.PI / 4) corners.push({ s: acc, c: d / Math.PI });
  }
  const speedAt = (s: number): number => {
    let slow = 0;
    for (const k of corners) slow = Math.max(slow, k.c * Math.exp(-(((s - k.s) / 2) ** 2)));
    return style.step * (1 + style.speedVariation * speed(arc0 + s)) * (1 - style.cornerSlowdown * slow);
  };
  const points: [number, number, number][] = [[fine[0][0], fine[0][1], arc0]];
  let s = 0;
  let j = 0;
  for (;;) {
    s += Math.max(0.2, speedAt(s));
    if (s >= total) break;
    while (cum[j + 1] < s) j++;
    const f = (s - cum[j]) / (cum[j + 1] - cum[j] || 1);
    points.push([
      fine[j][0] + f * (fine[j + 1][0] - fine[j][0]),
      fine[j][1] + f * (fine[j + 1][1] - fine[j][1]),
      arc0 + s,
    ]);
  }
  const last = fine[fine.length - 1];
  points.push([last[0], last[1], arc0 + total]);
  return { points, length: total };
}

/** Cut the text into lines of whole words with between `minChars` and `maxChars` characters. */
export function textLines(
  text: string,
  minChars: number,
  maxChars: number,
  rng: Rng,
  count: number,
): string[] {
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  const lines: string[] = [];
  for (let n = 0; n < count; n++) {
    const target = minChars + rng.int(maxChars - minChars + 1);
    let i = rng.int(words.length);
    let line = words[i];
    while (i + 1 < words.length && line.length + 1 + words[i + 1].length <= target) line += ' ' + words[++i];
    lines.push(line.slice(0, maxChars));
  }
  return lines;
}

export interface HandwritingDatasetOptions {
  /** Seed of everything (default 1). */
  seed?: number;
  /** Writers of the training lines (default 60). */
  trainWriters?: number;
  /** Held-out writers of the validation lines (default 10). */
  validWriters?: number;
  /** Lines per writer (default 10). */
  linesPerWriter?: number;
  /** Shortest and longest line in characters (default 10 and 24). */
  minChars?: number;
  maxChars?: number;
  /** Text to write (default: `HERSHEY_TEXT`). */
  text?: string;
  /** Fonts writers choose from (default scripts, scripts, cursive). */
  fonts?: string[];
}

export interface HandwritingDataset {
  train: Drawing[];
  valid: Drawing[];
  /** The Hershey acknowledgement that must travel with data made from the fonts. */
  acknowledgement: string;
}

/**
 * The built-in data set: `trainWriters × linesPerWriter` training lines and
 * `validWriters × linesPerWriter` validation lines by writers not seen in training.
 * Ids are `w<writer>-<line>`; the same options always give the same drawings.
 */
export function generateHandwritingDataset(opts: HandwritingDatasetOptions = {}): HandwritingDataset {
  const where = 'generateHandwritingDataset';
  const seed = checkNumber(where, 'seed', opts.seed ?? 1, { integer: true });
  const nTrain = checkNumber(where, 'trainWriters', opts.trainWriters ?? 60, { min: 1, integer: true });
  const nValid = checkNumber(where, 'validWriters', opts.validWriters ?? 10, { min: 0, integer: true });
  const perWriter = checkNumber(where, 'linesPerWriter', opts.linesPerWriter ?? 10, {
    min: 1,
    integer: true,
  });
  const minChars = checkNumber(where, 'minChars', opts.minChars ?? 10, { min: 1, integer: true });
  const maxChars = checkNumber(where, 'maxChars', opts.maxChars ?? 24, { min: minChars, integer: true });
  const text = opts.text ?? HERSHEY_TEXT;
  const make = (writer: number): Drawing[] => {
    const rng = new Rng((seed * 1000003 + writer * 7919) >>> 0);
    const style = randomWriterStyle(rng, opts.fonts);
    return textLines(text, minChars, maxChars, rng, perWriter).map((line, k) => ({
      ...writeLine(line, style, rng),
      id: `w${String(writer).padStart(3, '0')}-${String(k).padStart(2, '0')}`,
    }));
  };
  const train: Drawing[] = [];
  for (let w = 0; w < nTrain; w++) train.push(...make(w));
  const valid: Drawing[] = [];
  for (let w = nTrain; w < nTrain + nValid; w++) valid.push(...make(w));
  return { train, valid, acknowledgement: HERSHEY_ACKNOWLEDGEMENT };
}

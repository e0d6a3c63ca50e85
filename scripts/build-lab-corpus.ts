/**
 * Build the training corpus of the lab's shipped character LSTM (models/lab/char-lstm):
 * text with visible structure, nothing downloaded. Half is JavaScript source from installed
 * npm dependencies (brackets, quotes, indentation, comments), half is prose from the built-in
 * State of the Union corpus (sentences, paragraphs). Characters are limited to printable
 * ASCII plus newline (tabs become two spaces) so the vocabulary stays small, and minified
 * files (any line over 160 characters) are skipped.
 *
 *   node --import tsx scripts/build-lab-corpus.ts runs/lab-corpus.txt
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinCorpus } from '../src/wings/charlm/corpus.js';

/** Package source folders read in this order (all are dependencies or dev-dependencies). */
const SOURCE_DIRS = [
  'node_modules/commander/lib',
  'node_modules/ml-matrix/src',
  'node_modules/vega-lite/src/compile',
  'node_modules/eslint/lib/rules',
];
const CODE_CHARS = 1_100_000;
const PROSE_CHARS = 900_000;

function clean(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '  ')
    .replace(/[^\n\x20-\x7e]/g, '');
}

function jsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...jsFiles(p));
    else if (/\.(js|mjs|ts)$/.test(name) && !name.endsWith('.d.ts') && !name.endsWith('.map')) out.push(p);
  }
  return out;
}

const code: string[] = [];
let codeLen = 0;
for (const dir of SOURCE_DIRS) {
  for (const file of jsFiles(dir)) {
    const text = clean(readFileSync(file, 'utf8'));
    if (text.split('\n').some((l) => l.length > 160)) continue;
    code.push(text.trim() + '\n');
    codeLen += text.length;
    if (codeLen >= CODE_CHARS) break;
  }
  if (codeLen >= CODE_CHARS) break;
}
const prose = clean(builtinCorpus()).slice(-PROSE_CHARS);
// Interleave code files and prose paragraphs so the held-out tail (validation) has both.
const paragraphs = prose.split(/\n\n+/);
const parts: string[] = [];
const per = Math.ceil(paragraphs.length / code.length);
for (let i = 0; i < code.length; i++) {
  parts.push(code[i]);
  const para = paragraphs.slice(i * per, (i + 1) * per).join('\n\n');
  if (para) parts.push(para + '\n');
}
const corpus = parts.join('\n');
const out = process.argv[2] ?? 'runs/lab-corpus.txt';
writeFileSync(out, corpus);
console.log(
  `${out}: ${corpus.length} characters (${codeLen} code, ${prose.length} prose), ${code.length} files`,
);

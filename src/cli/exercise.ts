/**
 * `kioku exercise list | start NAME | check NAME | hint NAME | quiz [ID] [ANSWER]`: the RNN
 * unit's exercises as scaffolds that check themselves (src/wings/exercises/). Messages in
 * Japanese or English (`--lang`, default from LC_ALL / LC_MESSAGES / LANG).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../node/atomic.js';
import { KiokuError } from '../util/errors.js';
import type { AnyExercise, Lang } from '../wings/exercises/common.js';
import { HINT_STATE_FILE, readHintLevels, writeHintLevel } from '../wings/exercises/hints.js';
import { EXERCISES, exerciseNames, findExercise } from '../wings/exercises/index.js';
import { loadLearnerFile } from '../wings/exercises/loader.js';
import { detectLang, formatReport, MSG, say } from '../wings/exercises/messages.js';
import { checkQuizAnswer, QUIZ } from '../wings/exercises/quiz.js';
import { attachArea, choice, defineCommand, flag, str, type Values } from './schema.js';

export const DEFAULT_EXERCISE_DIR = 'kioku-exercises';

const common = {
  dir: str('the folder of your exercise files', { arg: 'dir', default: DEFAULT_EXERCISE_DIR }),
  lang: choice('messages in ja or en (default: from LANG / LC_ALL)', ['ja', 'en'] as const),
};

function langOf(o: Values<typeof common>): Lang {
  return o.lang ?? detectLang(process.env);
}

function exerciseOf(name: string, lang: Lang): AnyExercise {
  const e = findExercise(name);
  if (!e) throw new KiokuError(say(lang, MSG.unknown, { name, names: exerciseNames().join(', ') }));
  return e;
}

const list = defineCommand({
  name: 'list',
  description: 'list the exercises',
  options: common,
  run(o) {
    const lang = langOf(o);
    return { lang, exercises: EXERCISES.map((e) => ({ name: e.name, title: e.title[lang] })) };
  },
  print(r) {
    console.log(MSG.listHeader[r.lang]);
    for (const e of r.exercises) console.log(`  ${e.name.padEnd(14)} ${e.title}`);
  },
});

const start = defineCommand({
  name: 'start',
  description: 'write the exercise’s TypeScript scaffold into --dir',
  args: [{ syntax: '<name>', help: 'exercise name (see `kioku exercise list`)' }],
  options: { ...common, force: flag('overwrite an existing file') },
  run(o, [name]) {
    const lang = langOf(o);
    const e = exerciseOf(name, lang);
    const dir = resolve(o.dir);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, e.file);
    if (existsSync(file) && !o.force) return { file, written: false, message: say(lang, MSG.exists, { file }) };
    writeFileAtomic(file, new TextEncoder().encode(e.scaffold()));
    return { file, written: true, message: say(lang, MSG.started, { file, name }) };
  },
  print: (r) => console.log(r.message),
});

const check = defineCommand({
  name: 'check',
  description: 'run your file against kioku’s reference: outputs, float64 gradients, training where it applies',
  args: [{ syntax: '<name>', help: 'exercise name' }],
  options: common,
  async run(o, [name]) {
    const lang = langOf(o);
    const e = exerciseOf(name, lang);
    const dir = resolve(o.dir);
    const file = join(dir, e.file);
    if (!existsSync(file)) throw new KiokuError(say(lang, MSG.noFile, { file, name }));
    if (!o.json) console.log(say(lang, MSG.checking, { file, name }));
    const mod = await loadLearnerFile(file);
    const r = await e.run(mod, file, { dir, figures: true });
    if (o.json) console.log(JSON.stringify(r));
    else for (const line of formatReport(lang, r)) console.log(line);
    if (!r.passed) {
      const n = r.items.filter((i) => !i.ok).length;
      throw new KiokuError(lang === 'ja' ? `${name}: ${n} 件不合格` : `${name}: ${n} check(s) failed`);
    }
  },
});

const hint = defineCommand({
  name: 'hint',
  description: 'show the next hint (remembered in --dir)',
  args: [{ syntax: '<name>', help: 'exercise name' }],
  options: common,
  run(o, [name]) {
    const lang = langOf(o);
    const e = exerciseOf(name, lang);
    const dir = resolve(o.dir);
    mkdirSync(dir, { recursive: true });
    const seen = readHintLevels(dir)[name] ?? 0;
    const n = e.hints.length;
    const lines: string[] = [];
    if (seen >= n) {
      lines.push(say(lang, MSG.noMoreHints, { name, n, file: join(dir, HINT_STATE_FILE) }));
      for (let k = 0; k < n; k++) lines.push(`  ${k + 1}. ${e.hints[k][lang]}`);
      return { name, shown: n, lines };
    }
    for (let k = 0; k <= seen; k++) {
      lines.push(say(lang, MSG.hint, { k: k + 1, n, name }));
      lines.push(`  ${e.hints[k][lang]}`);
    }
    writeHintLevel(dir, name, seen + 1);
    return { name, shown: seen + 1, lines };
  },
  print: (r) => r.lines.forEach((l) => console.log(l)),
});

const quiz = defineCommand({
  name: 'quiz',
  description: 'the unit’s confirmation questions, checked numerically by kioku',
  args: [
    { syntax: '[id]', help: 'question number' },
    { syntax: '[answer]', help: 'your answer' },
  ],
  options: { ...common, reveal: flag('show the answer and how kioku computes it') },
  run(o, [id, answer]) {
    const lang = langOf(o);
    if (id === undefined) return { lines: [MSG.quizHeader[lang], ...QUIZ.map((q) => `  ${q.id}. ${q.question[lang]}`)] };
    const q = QUIZ.find((x) => x.id === id);
    if (!q)
      throw new KiokuError(`quiz: no question ${JSON.stringify(id)}; expected one of ${QUIZ.map((x) => x.id).join(', ')}`);
    const lines = [`${q.id}. ${q.question[lang]}`];
    const truth = q.solve();
    if (o.reveal) return { lines: [...lines, say(lang, MSG.quizReveal, { answer: truth.display, why: truth.why[lang] })] };
    if (answer === undefined) return { lines };
    if (!checkQuizAnswer(q, answer)) {
      for (const l of lines) console.log(l);
      throw new KiokuError(say(lang, MSG.quizWrong, { given: answer }));
    }
    return { lines: [...lines, say(lang, MSG.quizRight, { answer: truth.display, why: truth.why[lang] })], correct: true };
  },
  print: (r) => r.lines.forEach((l) => console.log(l)),
});

export function registerExerciseCommands(program: Command): void {
  attachArea(
    program,
    'exercise',
    'the RNN unit’s exercises: start a scaffold, fill it in, check it against kioku’s layers; hints; quiz',
    [list, start, check, hint, quiz],
  );
}

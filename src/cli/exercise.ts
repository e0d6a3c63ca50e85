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
import { choiceArg } from './options.js';

export const DEFAULT_EXERCISE_DIR = 'kioku-exercises';

interface CommonOpts {
  dir: string;
  lang?: Lang;
}

function langOf(o: CommonOpts): Lang {
  return o.lang ?? detectLang(process.env);
}

function exerciseOf(name: string, lang: Lang): AnyExercise {
  const e = findExercise(name);
  if (!e) throw new KiokuError(say(lang, MSG.unknown, { name, names: exerciseNames().join(', ') }));
  return e;
}

function withCommon(c: Command): Command {
  return c
    .option('--dir <dir>', 'the folder of your exercise files', DEFAULT_EXERCISE_DIR)
    .option(
      '--lang <lang>',
      'messages in ja or en (default: from LANG / LC_ALL)',
      choiceArg(['ja', 'en'] as const),
    );
}

export function registerExerciseCommands(program: Command): void {
  const ex = program
    .command('exercise')
    .description(
      'the RNN unit’s exercises: start a scaffold, fill it in, check it against kioku’s layers; hints; quiz',
    );

  withCommon(ex.command('list').description('list the exercises')).action((o: CommonOpts) => {
    const lang = langOf(o);
    console.log(MSG.listHeader[lang]);
    for (const e of EXERCISES) console.log(`  ${e.name.padEnd(14)} ${e.title[lang]}`);
  });

  withCommon(
    ex
      .command('start')
      .argument('<name>', 'exercise name (see `kioku exercise list`)')
      .option('--force', 'overwrite an existing file', false)
      .description('write the exercise’s TypeScript scaffold into --dir'),
  ).action((name: string, o: CommonOpts & { force: boolean }) => {
    const lang = langOf(o);
    const e = exerciseOf(name, lang);
    const dir = resolve(o.dir);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, e.file);
    if (existsSync(file) && !o.force) {
      console.log(say(lang, MSG.exists, { file }));
      return;
    }
    writeFileAtomic(file, new TextEncoder().encode(e.scaffold()));
    console.log(say(lang, MSG.started, { file, name }));
  });

  withCommon(
    ex
      .command('check')
      .argument('<name>', 'exercise name')
      .description(
        'run your file against kioku’s reference: outputs, float64 gradients, training where it applies',
      ),
  ).action(async (name: string, o: CommonOpts) => {
    const lang = langOf(o);
    const e = exerciseOf(name, lang);
    const dir = resolve(o.dir);
    const file = join(dir, e.file);
    if (!existsSync(file)) throw new KiokuError(say(lang, MSG.noFile, { file, name }));
    console.log(say(lang, MSG.checking, { file, name }));
    const mod = await loadLearnerFile(file);
    const r = await e.run(mod, file, { dir, figures: true });
    for (const line of formatReport(lang, r)) console.log(line);
    if (!r.passed) {
      const n = r.items.filter((i) => !i.ok).length;
      throw new KiokuError(lang === 'ja' ? `${name}: ${n} 件不合格` : `${name}: ${n} check(s) failed`);
    }
  });

  withCommon(
    ex
      .command('hint')
      .argument('<name>', 'exercise name')
      .description('show the next hint (remembered in --dir)'),
  ).action((name: string, o: CommonOpts) => {
    const lang = langOf(o);
    const e = exerciseOf(name, lang);
    const dir = resolve(o.dir);
    mkdirSync(dir, { recursive: true });
    const seen = readHintLevels(dir)[name] ?? 0;
    const n = e.hints.length;
    if (seen >= n) {
      console.log(say(lang, MSG.noMoreHints, { name, n, file: join(dir, HINT_STATE_FILE) }));
      for (let k = 0; k < n; k++) console.log(`  ${k + 1}. ${e.hints[k][lang]}`);
      return;
    }
    for (let k = 0; k <= seen; k++) {
      console.log(say(lang, MSG.hint, { k: k + 1, n, name }));
      console.log(`  ${e.hints[k][lang]}`);
    }
    writeHintLevel(dir, name, seen + 1);
  });

  withCommon(
    ex
      .command('quiz')
      .argument('[id]', 'question number')
      .argument('[answer]', 'your answer')
      .option('--reveal', 'show the answer and how kioku computes it', false)
      .description('the unit’s confirmation questions, checked numerically by kioku'),
  ).action((id: string | undefined, answer: string | undefined, o: CommonOpts & { reveal: boolean }) => {
    const lang = langOf(o);
    if (id === undefined) {
      console.log(MSG.quizHeader[lang]);
      for (const q of QUIZ) console.log(`  ${q.id}. ${q.question[lang]}`);
      return;
    }
    const q = QUIZ.find((x) => x.id === id);
    if (!q)
      throw new KiokuError(
        `quiz: no question ${JSON.stringify(id)}; expected one of ${QUIZ.map((x) => x.id).join(', ')}`,
      );
    console.log(`${q.id}. ${q.question[lang]}`);
    const truth = q.solve();
    if (o.reveal) {
      console.log(say(lang, MSG.quizReveal, { answer: truth.display, why: truth.why[lang] }));
      return;
    }
    if (answer === undefined) return;
    if (checkQuizAnswer(q, answer))
      console.log(say(lang, MSG.quizRight, { answer: truth.display, why: truth.why[lang] }));
    else throw new KiokuError(say(lang, MSG.quizWrong, { given: answer }));
  });
}

/**
 * The exercise commands speak Japanese and English: `--lang ja|en`, else the locale
 * (LC_ALL, then LC_MESSAGES, then LANG: a value starting with "ja" means Japanese).
 */
import { type CheckItem, type CheckReport, type Lang, type Text, tx } from './common.js';

export function detectLang(env: Record<string, string | undefined> = {}): Lang {
  const v = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return v.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

export const MSG = {
  listHeader: tx('Exercises (kioku exercise start NAME):', '演習（kioku exercise start NAME で開始）:'),
  started: tx(
    'Wrote {file}. Fill in the TODOs, then run: npx kioku exercise check {name}',
    '{file} を書き出しました。TODO を埋めてから実行: npx kioku exercise check {name}',
  ),
  exists: tx(
    '{file} already exists; kept it (use --force to overwrite).',
    '{file} は既にあります。そのままにしました（上書きは --force）。',
  ),
  checking: tx(
    'Checking {file} against kioku’s {name} reference …',
    '{file} を kioku の参照実装（{name}）と照合しています …',
  ),
  passed: tx('All checks passed.', 'すべてのチェックに合格しました。'),
  failed: tx(
    '{n} check(s) failed. The first place where your result differs is shown; `kioku exercise hint {name}` gives a hint.',
    '{n} 件のチェックが不合格です。結果が最初に食い違う場所を示しました。`kioku exercise hint {name}` でヒントが見られます。',
  ),
  where: tx('where', '場所'),
  expected: tx('expected', '期待値'),
  got: tx('got', 'あなたの値'),
  maxDiff: tx('max |diff|', '最大誤差'),
  hint: tx('Hint {k}/{n} for {name}:', '{name} のヒント {k}/{n}:'),
  noMoreHints: tx(
    'That was the last hint for {name} (all {n} shown). Delete {file} to start over.',
    '{name} のヒントはこれで全部です（{n} 個）。最初からにするには {file} を削除してください。',
  ),
  unknown: tx(
    'unknown exercise "{name}"; expected one of: {names}',
    '演習 "{name}" はありません。次のどれか: {names}',
  ),
  wrote: tx('wrote {file}', '{file} を書き出しました'),
  noFile: tx(
    '{file}: no such file; run `kioku exercise start {name}` first',
    '{file} がありません。先に `kioku exercise start {name}` を実行してください',
  ),
  quizHeader: tx(
    'Confirmation questions (answer: kioku exercise quiz ID ANSWER):',
    '確認テスト（回答: kioku exercise quiz ID 答え）:',
  ),
  quizRight: tx('Correct: {answer}. {why}', '正解: {answer}。{why}'),
  quizWrong: tx(
    'Not quite: you answered {given}. Try again (or --reveal).',
    '違います: あなたの答えは {given}。もう一度（答えを見るには --reveal）。',
  ),
  quizReveal: tx('Answer: {answer}. {why}', '答え: {answer}。{why}'),
} satisfies Record<string, Text>;

export function say(lang: Lang, t: Text, params: Record<string, string | number> = {}): string {
  return t[lang].replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

function fmt(x: number | undefined): string {
  if (x === undefined) return '—';
  if (!Number.isFinite(x) || x === 0) return String(x);
  return Math.abs(x) >= 1e-3 || x === 0 ? x.toPrecision(6) : x.toExponential(3);
}

/** One line per item: ✓ or ✗, the name, the max difference, and where it fails. */
export function formatItem(lang: Lang, item: CheckItem): string {
  const mark = item.ok ? '✓' : '✗';
  let line = `${mark} ${item.name[lang]}`;
  if (item.maxDiff !== undefined) line += `  (${MSG.maxDiff[lang]} ${fmt(item.maxDiff)})`;
  if (!item.ok && item.where) {
    line += `\n    ${MSG.where[lang]}: ${item.where[lang]}`;
    if (item.expected !== undefined || item.got !== undefined) {
      line += `\n    ${MSG.expected[lang]} ${fmt(item.expected)}, ${MSG.got[lang]} ${fmt(item.got)}`;
    }
  }
  if (item.note) line += `\n    ${item.note[lang]}`;
  return line;
}

export function formatReport(lang: Lang, r: CheckReport): string[] {
  const lines = r.items.map((i) => formatItem(lang, i));
  const failed = r.items.filter((i) => !i.ok).length;
  lines.push(failed === 0 ? MSG.passed[lang] : say(lang, MSG.failed, { n: failed, name: r.exercise }));
  for (const n of r.notes) lines.push('', n[lang]);
  for (const f of r.files) lines.push(say(lang, MSG.wrote, { file: f }));
  return lines;
}

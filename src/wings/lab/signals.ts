/**
 * Per-character structure signals of a text — the things Karpathy, Johnson & Fei-Fei (2015)
 * found single LSTM cells tracking: inside a quoted string, bracket nesting depth, position
 * in the line, inside a comment. The lab correlates units with them to find such cells.
 *
 * ```ts
 * const s = structureSignals(Array.from('f("a", [b])')); // s[0].values: 1 inside "a"
 * ```
 */
export interface StructureSignal {
  name: 'quote' | 'depth' | 'line' | 'comment';
  label: string;
  labelJa: string;
  how: string;
  howJa: string;
  /** One value per character (after reading it). */
  values: Float32Array;
}

/** Quote, bracket-depth, line-position and comment signals of `chars`. */
export function structureSignals(chars: readonly string[]): StructureSignal[] {
  const T = chars.length;
  const quote = new Float32Array(T);
  const depth = new Float32Array(T);
  const line = new Float32Array(T);
  const comment = new Float32Array(T);
  let q: string | null = null;
  let d = 0;
  let pos = 0;
  let lineComment = false;
  let blockComment = false;
  for (let t = 0; t < T; t++) {
    const c = chars[t];
    const prev = t > 0 ? chars[t - 1] : '';
    if (c === '\n') {
      pos = 0;
      lineComment = false;
      if (q !== '`') q = null; // only template literals span lines
    } else pos++;
    if (!lineComment && !blockComment) {
      if (q === null) {
        // An apostrophe after a letter (don't, America's) opens nothing.
        if (c === '"' || c === '`' || (c === "'" && !/[A-Za-z0-9]/.test(prev))) q = c;
        else if (c === '/' && prev === '/') lineComment = true;
        else if (c === '*' && prev === '/') blockComment = true;
        else if (c === '(' || c === '[' || c === '{') d++;
        else if ((c === ')' || c === ']' || c === '}') && d > 0) d--;
      } else if (c === q && prev !== '\\') q = null;
    } else if (blockComment && c === '/' && prev === '*') blockComment = false;
    // "inside" includes the opening quote and excludes the closing one.
    quote[t] = q !== null ? 1 : 0;
    depth[t] = d;
    line[t] = pos;
    comment[t] = lineComment || blockComment ? 1 : 0;
  }
  return [
    {
      name: 'quote',
      label: 'Quote cell',
      labelJa: '引用符セル',
      how: 'on inside a quoted string, off outside (select the inside of a string literal)',
      howJa: '文字列リテラルの内側でオン、外側でオフ（文字列の中身を選択）',
      values: quote,
    },
    {
      name: 'depth',
      label: 'Bracket-depth cell',
      labelJa: '括弧の深さセル',
      how: 'grows with the nesting depth of ( [ {',
      howJa: '( [ { の入れ子の深さとともに増える',
      values: depth,
    },
    {
      name: 'line',
      label: 'Position-in-line cell',
      labelJa: '行内位置セル',
      how: 'counts the characters since the last line break',
      howJa: '直前の改行からの文字数を数える',
      values: line,
    },
    {
      name: 'comment',
      label: 'Comment cell',
      labelJa: 'コメントセル',
      how: 'on inside // and /* */ comments',
      howJa: '// や /* */ のコメント内でオン',
      values: comment,
    },
  ];
}

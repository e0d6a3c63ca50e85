/**
 * Word tokenizer for review text (sentiment, word2vec). Lower-cases, turns the HTML line
 * breaks of the IMDB reviews (`<br />`) into spaces, and keeps words (letters/digits with an
 * inner apostrophe: `don't`, `it's`) plus `!` and `?`, which carry sentiment
 * (Maas et al. 2011 keep punctuation tokens too).
 *
 * ```ts
 * tokenize("It's GREAT!<br /><br />Loved it."); // ["it's", 'great', '!', 'loved', 'it']
 * ```
 */
export function tokenize(text: string): string[] {
  const clean = text.toLowerCase().replace(/<br\s*\/?>/g, ' ');
  return clean.match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)*|[!?]/gu)?.map((w) => w.replace(/’/g, "'")) ?? [];
}

/** Join tokens back for display (`tokenize(detokenize(t))` equals `t` for tokenizer output). */
export function detokenize(tokens: readonly string[]): string {
  return tokens.join(' ');
}

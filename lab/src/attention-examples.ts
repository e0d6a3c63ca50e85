/**
 * The attention explorer's prepared words (plain data, so the browser test can import them in
 * Node): spellings where English letters and sounds do not line up one to one — silent letters
 * (knight), two letters for one phone (ph, gh, th), a letter for two phones (x), a spelling
 * that hides its sound (colonel) — and a word no dictionary has.
 */
export const ATTENTION_EXAMPLES: { word: string; madeUp?: true }[] = [
  { word: 'phoenix' },
  { word: 'knight' },
  { word: 'colonel' },
  { word: 'through' },
  { word: 'tough' },
  { word: 'psychology' },
  { word: 'quixotic' },
  { word: 'blorptastic', madeUp: true },
];

/**
 * Every label of the lab in English and Japanese (the course is taught in Japanese).
 * `t(key)` reads the current language; `data-i18n` attributes are filled by `applyI18n`.
 */
export type Lang = 'en' | 'ja';

const EN = {
  title: 'kioku lab',
  subtitle: 'RNN, LSTM and GRU in your browser — the engine runs in a Web Worker',
  tabExplorer: 'Cell explorer',
  tabBench: 'RNN vs LSTM vs GRU',
  tabGuide: 'Guide to the cells',
  language: 'Language',
  backendWasm: 'Engine: WASM SIMD, {n} thread(s)',
  backendRef: 'Engine: reference backend (WASM SIMD unavailable: {why}) — slower, same results',
  notIsolated: 'Not cross-origin isolated: one thread (serve with `npx kioku lab` for threads).',
  model: 'Model',
  shippedModel: 'shipped char LSTM (code + prose)',
  dropHint: 'or drop a model.safetensors from `kioku train char` on the page',
  openFile: 'Open model file…',
  text: 'Text',
  textHint: 'Type or paste text, or pick a passage from the corpus.',
  run: 'Run model',
  pickCorpus: 'Pick from corpus',
  series: 'Show',
  seriesC: 'cell state c_t',
  seriesH: 'output h_t',
  seriesI: 'input gate i_t',
  seriesF: 'forget gate f_t',
  seriesO: 'output gate o_t',
  sort: 'Sort units',
  sortIndex: 'by number',
  sortVar: 'by variance',
  sortSel: 'by selection match',
  filter: 'Units',
  filterHint: 'e.g. 12, 40-45 (empty: all)',
  threshold: 'Threshold',
  selectHint: 'Drag over the characters to select a range; units on inside and off outside are listed.',
  selection: 'Selection',
  unitsOn: 'Units on in the selection (off outside, best first)',
  noUnits: 'No unit is on throughout the selection at this threshold.',
  match: 'Match in corpus',
  matches: 'Where the same units fire in the corpus (ranked)',
  noMatches: 'No match.',
  track: 'Unit {u} over time',
  trackHint: 'Click a row of the heatmap (or a unit number) to see its track.',
  nextChars: 'next character',
  unknownChars: "Skipped (not in the model's vocabulary): {chars}",
  saturation: 'Gate saturation (Karpathy et al. 2015, Fig. 3)',
  saturationHint:
    'Each dot is a unit: fraction of the corpus where its gate is left-saturated (< 0.1, x) or right-saturated (> 0.9, y).',
  leftSat: 'fraction left-saturated',
  rightSat: 'fraction right-saturated',
  loss: 'loss',
  benchIntro:
    'The same runs as `kioku experiment compare`: every cell gets the same parameter budget, seed and batches; trained side by side in the worker.',
  task: 'Task',
  length: 'Length T',
  steps: 'Steps',
  cells: 'Cells',
  clip: 'Clip gradient norm',
  clipOff: 'off',
  forgetBias: 'LSTM forget-gate bias',
  init: 'Initialisation',
  seed: 'Seed',
  lr: 'Learning rate',
  start: 'Train',
  stop: 'Stop',
  lossCurves: 'Training loss (per step, smoothed)',
  evalCurves: 'Evaluation loss',
  gradFlow: '‖∂L_T/∂h_t‖ over t (latest)',
  step: 'step',
  timeStep: 't',
  tokensPerSec: '{tps} tokens/s in the page',
  finished: 'Finished: {steps} steps per cell',
  hidden: 'hidden',
  params: 'parameters',
  finalLoss: 'final eval loss',
  solvedAt: 'solved at',
  notModel: '{name} is not a kioku character model: {why}',
  tooLarge: '{name} is too large for the page ({mb} MB; at most {max} MB)',
  loaded: 'Loaded {name}: LSTM {layers}×{hidden}, {vocab} characters, {params} parameters',
  guideIntro:
    'Cells of the shipped model found with this explorer (Karpathy, Johnson & Fei-Fei 2015 found the same kinds in their models). Click one to load an example and show its track.',
  show: 'Show',
  unit: 'unit',
  negative: 'r < 0: the unit falls as the signal rises',
  working: 'Working…',
};

type Dict = Record<keyof typeof EN, string>;

const JA: Dict = {
  title: 'kioku ラボ',
  subtitle: 'ブラウザで RNN・LSTM・GRU — 計算は Web Worker で実行',
  tabExplorer: 'セル探索',
  tabBench: 'RNN・LSTM・GRU 比較',
  tabGuide: 'セルの手引き',
  language: '言語',
  backendWasm: 'エンジン: WASM SIMD（{n} スレッド）',
  backendRef: 'エンジン: 参照バックエンド（WASM SIMD 不可: {why}）— 遅いが結果は同じ',
  notIsolated: 'クロスオリジン分離されていないため 1 スレッド（`npx kioku lab` で配信すると複数スレッド）',
  model: 'モデル',
  shippedModel: '同梱の文字 LSTM（コード＋文章）',
  dropHint: '`kioku train char` の model.safetensors をページにドロップしても開けます',
  openFile: 'モデルファイルを開く…',
  text: 'テキスト',
  textHint: 'テキストを入力・貼り付けるか、コーパスから一節を選んでください。',
  run: 'モデルを実行',
  pickCorpus: 'コーパスから選ぶ',
  series: '表示',
  seriesC: 'セル状態 c_t',
  seriesH: '出力 h_t',
  seriesI: '入力ゲート i_t',
  seriesF: '忘却ゲート f_t',
  seriesO: '出力ゲート o_t',
  sort: 'ユニットの並び',
  sortIndex: '番号順',
  sortVar: '分散順',
  sortSel: '選択との一致順',
  filter: 'ユニット',
  filterHint: '例: 12, 40-45（空欄: すべて）',
  threshold: 'しきい値',
  selectHint: '文字の上をドラッグして範囲を選ぶと、範囲内でオン・範囲外でオフのユニットが並びます。',
  selection: '選択範囲',
  unitsOn: '選択範囲でオンのユニット（範囲外でオフのもの順）',
  noUnits: 'このしきい値で選択範囲全体にわたってオンのユニットはありません。',
  match: 'コーパスで照合',
  matches: '同じユニットが発火するコーパス中の箇所（順位付き）',
  noMatches: '一致なし。',
  track: 'ユニット {u} の時間変化',
  trackHint: 'ヒートマップの行（またはユニット番号）をクリックすると時間変化を表示します。',
  nextChars: '次の文字',
  unknownChars: 'モデルの語彙にない文字を飛ばしました: {chars}',
  saturation: 'ゲートの飽和（Karpathy ら 2015, 図 3）',
  saturationHint:
    '点は各ユニット: コーパス上でゲートが左飽和（< 0.1, 横軸）・右飽和（> 0.9, 縦軸）している時間の割合。',
  leftSat: '左飽和の割合',
  rightSat: '右飽和の割合',
  loss: '損失',
  benchIntro:
    '`kioku experiment compare` と同じ実行です。各セルは同じパラメータ数・シード・バッチで、Worker の中で並べて学習します。',
  task: '課題',
  length: '系列長 T',
  steps: 'ステップ数',
  cells: 'セル',
  clip: '勾配ノルムのクリップ',
  clipOff: 'なし',
  forgetBias: 'LSTM 忘却ゲートのバイアス',
  init: '初期化',
  seed: 'シード',
  lr: '学習率',
  start: '学習開始',
  stop: '停止',
  lossCurves: '学習損失（ステップごと、平滑化）',
  evalCurves: '評価損失',
  gradFlow: '‖∂L_T/∂h_t‖ の t に沿った変化（最新）',
  step: 'ステップ',
  timeStep: 't',
  tokensPerSec: 'ページ内で毎秒 {tps} トークン',
  finished: '完了: 各セル {steps} ステップ',
  hidden: '隠れ次元',
  params: 'パラメータ数',
  finalLoss: '最終評価損失',
  solvedAt: '解けたステップ',
  notModel: '{name} は kioku の文字モデルではありません: {why}',
  tooLarge: '{name} はページで扱うには大きすぎます（{mb} MB、上限 {max} MB）',
  loaded: '{name} を読み込みました: LSTM {layers}×{hidden}、{vocab} 文字、{params} パラメータ',
  guideIntro:
    'この探索ツールで同梱モデルに見つけたセルです（Karpathy・Johnson・Fei-Fei 2015 も同種のセルを報告）。クリックすると例文を読み込み、その時間変化を表示します。',
  show: '表示',
  unit: 'ユニット',
  negative: 'r < 0: 信号が大きいほどユニットの値は下がる',
  working: '計算中…',
};

export type I18nKey = keyof typeof EN;
const DICTS: Record<Lang, Dict> = { en: EN, ja: JA };
let current: Lang = 'en';

export function setLang(lang: Lang): void {
  current = lang;
  document.documentElement.lang = lang;
}

export function getLang(): Lang {
  return current;
}

export function isLang(v: string | null): v is Lang {
  return v === 'en' || v === 'ja';
}

/** The label `key` in the current language, with `{name}` placeholders filled. */
export function t(key: I18nKey, vars: Record<string, string | number> = {}): string {
  return DICTS[current][key].replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? `{${k}}`));
}

export function isKey(k: string): k is I18nKey {
  return k in EN;
}

/** Fill every `[data-i18n]` element's text (and `[data-i18n-title]` tooltips). */
export function applyI18n(root: ParentNode = document): void {
  root.querySelectorAll<HTMLElement>('[data-i18n]').forEach((el) => {
    const k = el.dataset.i18n ?? '';
    if (isKey(k)) el.textContent = t(k);
  });
  root.querySelectorAll<HTMLElement>('[data-i18n-title]').forEach((el) => {
    const k = el.dataset.i18nTitle ?? '';
    if (isKey(k)) el.title = t(k);
  });
  root.querySelectorAll<HTMLInputElement>('[data-i18n-placeholder]').forEach((el) => {
    const k = el.dataset.i18nPlaceholder ?? '';
    if (isKey(k)) el.placeholder = t(k);
  });
}

/**
 * Labels of the lab's second set of views (the handwriting pad, the generation explorer, the
 * sentiment trace, the memory view and the attention explorer)
 * in English and Japanese; the language itself is i18n.ts's (`getLang`).
 * `data-i18n-v` attributes are filled by `applyViewLabels`.
 */
import { getLang } from './i18n.js';

const EN = {
  tabPad: 'Handwriting pad',
  tabGen: 'Generation explorer',
  tabMemory: 'Memory (NTM / DNC)',
  memIntro:
    'A Neural Turing Machine (or a Differentiable Neural Computer) on one task sequence, step by step, as in Fig. 6 of Graves et al. 2014: where each head writes and reads at every step, and the memory contents after the step the slider selects. The shipped models are trained with `kioku memory train` (docs/memory.md).',
  memModel: 'Model',
  memLength: 'Length',
  memRun: 'Run',
  memPlay: 'Play ▶',
  memPause: 'Pause ❚❚',
  memStepLabel: 'step {t} / {T}',
  memInputs: 'Inputs (channel × time)',
  memOutputs: 'Outputs σ(y), scored steps (bit × time)',
  memWrite: 'Write head',
  memRead: 'Read head',
  memWeighting: 'weighting (slot × time)',
  memMemoryAt:
    "Memory after step {t}: {n} of {N} slots (rows, slot {a} at the top to {b}: the window the heads used, circular) × {M} elements; the first columns are the heads' weightings at this step (max |M| = {s})",
  memMemoryHint: 'Orange positive, blue negative (scaled by the largest |value| shown); white is 0.',
  memInfo:
    '{model} on {task} ({params} parameters, trained {step} steps on lengths {lo}–{hi}); this sequence: {wrong} wrong of {bits} scored bits.',
  padIntro:
    'Write on a pad with the mouse, a pen or a finger. After every point each model shows where it expects the pen next: the mixture density as a heat map, its components as ellipses (opacity ∝ π), the end-of-stroke probability and sampled continuations ("hairs"), as in Distill\'s "Experiments in Handwriting with a Neural Network".',
  padModels: 'Models',
  padBias: 'Sampling bias b',
  padHairs: 'Hairs',
  padHairLen: 'Hair length',
  padScale: 'Pixels per unit',
  padClear: 'Clear',
  padFinish: 'Let the model finish',
  padAddLine: 'Add line to my data set',
  padSaveStroke3: 'Download data set (stroke-3 JSON)',
  padSaveXml: 'Download line (IAM lineStrokes XML)',
  padDataset: 'My data set: {n} line(s), {p} points',
  padEos: 'P(end of stroke) = {p}',
  padLatency: 'pointer event → redrawn density: {ms} ms (last), {med} ms (median of {n})',
  padEmpty: 'The pad is empty: write something first (at least one stroke of two points).',
  padNoModel: 'Choose at least one model.',
  padActivations:
    'Top-layer activations under the strokes (one column per point: c_t for the LSTM, h_t otherwise)',
  padNll: '{cell}: {layers}×{hidden}, {params} parameters, validation NLL {nll} nats/point',
  padTrainHint:
    'Train on your data set: `npx kioku handwriting train --data stroke3 --data-path my-handwriting.json` or, with the XML files in a folder, `--data iam --data-path folder/`.',
  genIntro:
    'Generation with the shipped character LSTM: a prime, then samples at several temperatures side by side; the next-character distribution at every position; beam search with its log-probability; and stepping one character at a time.',
  genPrime: 'Prime',
  genTemps: 'Temperatures',
  genLength: 'Length',
  genSeed: 'Seed',
  genSample: 'Sample',
  genBeam: 'Beam search',
  genWidth: 'Beam width',
  genStep: 'Step one character',
  genReset: 'Reset steps',
  genLogProb: 'log p = {lp} nats ({n} characters)',
  genClickHint: 'Hover or click a character to see what the model expected there (top {k}).',
  genDistAt: 'Next-character distribution after “{ctx}”',
  genStepped: 'Stepped text',
  genEmptyPrime: 'The prime is empty: type a few characters.',
  genTempBad: 'Temperatures must be numbers ≥ 0, e.g. 0.5, 1, 1.5 (got “{v}”).',
  tabSent: 'Sentiment',
  sentIntro:
    'Type a movie review (in English). Under every word: P(positive) of the IMDB classifier after reading the review up to that word — the same model asked "what if the review ended here?" at each word. Try the prepared reviews with negation and contrast.',
  sentLoad: 'Load another model (kioku sentiment train → model.safetensors)',
  sentExamples: 'Prepared reviews:',
  sentExNeg1: 'negation: “not bad at all”',
  sentExNeg2: 'negation: “not good”',
  sentExCon1: 'contrast: slow start, “but” brilliant',
  sentExCon2: 'contrast: great cast, “yet” dull',
  sentExCon3: 'contrast: cheap effects, “but” loved it',
  sentText: 'Review',
  sentHow:
    'Bars: P(positive) after each word (green above ½, red below). Words outside the vocabulary are read as <unk>. Train your own: `npx kioku sentiment train`; the shipped model and its recipe are in docs/sequence-tasks.md.',
  sentLoading: 'Loading the shipped model…',
  sentNoModel:
    'No pretrained sentiment model in this build ({file} is missing). Train one with `npx kioku sentiment train` and load its model.safetensors with the button.',
  sentModel:
    'Model: {name} — {cell} {dirs}×{hidden}, vocabulary {vocab}, {params} parameters, IMDB test accuracy {acc}',
  sentPositive: 'positive: P(positive) = {p}',
  sentNegative: 'negative: P(positive) = {p}',
  sentOov: '{n} word(s) unknown to the vocabulary',
  sentTruncated: '{n} word(s) beyond the model’s maximum length ignored',
  sentEmpty: 'The review is empty: type a few words.',
  tabAttn: 'Attention',
  attnIntro:
    'Type an English word: the grapheme-to-phoneme encoder–decoder spells out its pronunciation in ARPAbet phones by beam search, and shows where its attention was on the letters when it chose each phone (Luong et al. 2015 global attention; the Bahdanau et al. 2015 alignment figure, live).',
  attnLoad: 'Load another model (kioku seq2seq train → model.safetensors)',
  attnExamples: 'Prepared words:',
  attnExMadeUp: '{word} (made up)',
  attnWord: 'Word',
  attnBeam: 'Beam width',
  attnHeatHint:
    'Row: the phone being chosen (the last row is the end </s>); column: a letter; shade and number: the attention weight α on that letter (each row sums to 1).',
  attnNbest: 'n-best list (beam search)',
  attnNbestHint:
    'log p: the sum of the log-probabilities of the phones and of </s>. Click a row to see its alignment.',
  attnHow:
    'Silent letters get little attention (the k of knight); two letters for one sound share it (ph, gh, th). Train your own: `npx kioku seq2seq train`; measure it: `npx kioku seq2seq eval --model runs/seq2seq` (docs/sequence-tasks.md).',
  attnLoading: 'Loading the shipped model…',
  attnNoModel:
    "No pretrained G2P model in this build ({file} is missing). Train one with `npx kioku seq2seq train --out runs/g2p`, ship it with `node --import tsx scripts/ship-g2p-model.ts runs/g2p` and rebuild (`npm run build:lab`) — or load a run's model.safetensors with the button.",
  attnModel:
    'Model: {name} — {cell} encoder {dirs}×{hidden}, {attention} attention, {letters} letters, {phones} phones, {params} parameters; {score}',
  attnScore: 'test WER {wer}, PER {per} ({words} held-out CMUdict words, beam {beam})',
  attnHeatTitle: 'Attention of output {rank}: {word} → /{phones}/',
  attnPhones: 'phones',
  attnEmpty: "The word is empty: type a word (letters a–z and ').",
  attnUnknown:
    'The model cannot read {chars}: not in its alphabet ({alphabet}). Type a word of those letters only.',
  attnTruncated: 'The model reads at most {max} letters: the word was cut to “{cut}” ({n} more ignored).',
};

type ViewKey = keyof typeof EN;

const JA: Record<ViewKey, string> = {
  tabPad: '手書きパッド',
  tabGen: '生成エクスプローラ',
  padIntro:
    'マウス・ペン・指でパッドに書いてください。点ごとに各モデルが次のペン位置の予測を示します: 混合密度のヒートマップ、成分の楕円（濃さ ∝ π）、ストローク終了確率、サンプリングした続き（「毛」）— Distill の "Experiments in Handwriting with a Neural Network" と同じ見せ方です。',
  padModels: 'モデル',
  padBias: 'サンプリングバイアス b',
  padHairs: '毛の本数',
  padHairLen: '毛の長さ',
  padScale: '1 単位あたりのピクセル',
  padClear: '消去',
  padFinish: 'モデルに続きを書かせる',
  padAddLine: 'この行を自分のデータセットに追加',
  padSaveStroke3: 'データセットを保存（stroke-3 JSON）',
  padSaveXml: 'この行を保存（IAM lineStrokes XML）',
  padDataset: '自分のデータセット: {n} 行、{p} 点',
  padEos: 'P(ストローク終了) = {p}',
  padLatency: 'ポインタイベント → 密度の再描画: {ms} ms（直近）、{med} ms（{n} 回の中央値）',
  padEmpty: 'パッドが空です。先に何か書いてください（2 点以上のストロークが 1 本以上）。',
  padNoModel: 'モデルを 1 つ以上選んでください。',
  padActivations: 'ストロークの下の最上層の活性（点ごとに 1 列: LSTM は c_t、それ以外は h_t）',
  padNll: '{cell}: {layers}×{hidden}、{params} パラメータ、検証 NLL {nll} nats/点',
  padTrainHint:
    '自分のデータで学習: `npx kioku handwriting train --data stroke3 --data-path my-handwriting.json`、XML ファイルをフォルダに置いた場合は `--data iam --data-path folder/`。',
  genIntro:
    '同梱の文字 LSTM による生成: プライムのあと、複数の温度でのサンプルを並べて表示。各位置の次文字分布、ビームサーチとその対数確率、1 文字ずつのステップ実行。',
  genPrime: 'プライム',
  genTemps: '温度',
  genLength: '長さ',
  genSeed: 'シード',
  genSample: 'サンプル',
  genBeam: 'ビームサーチ',
  genWidth: 'ビーム幅',
  genStep: '1 文字進める',
  genReset: 'ステップをリセット',
  genLogProb: 'log p = {lp} nats（{n} 文字）',
  genClickHint:
    '文字にカーソルを合わせるかクリックすると、そこでモデルが予想した文字（上位 {k}）を表示します。',
  genDistAt: '「{ctx}」の次の文字の分布',
  genStepped: 'ステップ実行したテキスト',
  genEmptyPrime: 'プライムが空です。数文字入力してください。',
  tabMemory: 'メモリ（NTM / DNC）',
  memIntro:
    'ニューラルチューリングマシン（または微分可能ニューラルコンピュータ）が 1 本のタスク系列を処理する様子を 1 ステップずつ表示します（Graves ら 2014 の図 6）。各ヘッドが各ステップでどこに書き込み・どこから読み出したか、スライダーで選んだステップの後のメモリの内容。同梱モデルは `kioku memory train` で学習したものです（docs/memory.md）。',
  memModel: 'モデル',
  memLength: '長さ',
  memRun: '実行',
  memPlay: '再生 ▶',
  memPause: '一時停止 ❚❚',
  memStepLabel: 'ステップ {t} / {T}',
  memInputs: '入力（チャンネル × 時刻）',
  memOutputs: '出力 σ(y)、採点されるステップ（ビット × 時刻）',
  memWrite: '書き込みヘッド',
  memRead: '読み出しヘッド',
  memWeighting: '重み付け（スロット × 時刻）',
  memMemoryAt:
    'ステップ {t} の後のメモリ: 全 {N} スロット中 {n}（行。上のスロット {a} から {b} まで、ヘッドが使った循環窓）× {M} 要素。最初の列はこのステップでの各ヘッドの重み付け（最大 |M| = {s}）',
  memMemoryHint: 'オレンジが正、青が負（表示中の最大 |値| で正規化）、白が 0。',
  memInfo:
    '{model}・{task}（{params} パラメータ、長さ {lo}–{hi} で {step} ステップ学習）。この系列: 採点 {bits} ビット中 {wrong} ビット誤り。',
  genTempBad: '温度は 0 以上の数で指定してください（例: 0.5, 1, 1.5。入力: 「{v}」）。',
  tabSent: '感情分析',
  sentIntro:
    '映画レビューを（英語で）入力してください。各単語の下に、そこまで読んだ時点での IMDB 分類器の P(positive) を示します — 単語ごとに同じモデルに「レビューがここで終わったら？」と問うたものです。否定と逆接を含む用意したレビューも試してください。',
  sentLoad: '別のモデルを読み込む（kioku sentiment train → model.safetensors）',
  sentExamples: '用意したレビュー:',
  sentExNeg1: '否定:「not bad at all」',
  sentExNeg2: '否定:「not good」',
  sentExCon1: '逆接: 退屈な出だし、「but」最高',
  sentExCon2: '逆接: 豪華キャスト、「yet」退屈',
  sentExCon3: '逆接: 安っぽい特撮、「but」大好き',
  sentText: 'レビュー',
  sentHow:
    'バー: 各単語のあとの P(positive)（½ より上は緑、下は赤）。語彙にない単語は <unk> として読みます。自分で学習: `npx kioku sentiment train`。同梱モデルとその学習手順は docs/sequence-tasks.md にあります。',
  sentLoading: '同梱モデルを読み込み中…',
  sentNoModel:
    'このビルドには学習済みの感情分析モデルがありません（{file} がありません）。`npx kioku sentiment train` で学習し、その model.safetensors をボタンで読み込んでください。',
  sentModel:
    'モデル: {name} — {cell} {dirs}×{hidden}、語彙 {vocab}、{params} パラメータ、IMDB テスト正解率 {acc}',
  sentPositive: '肯定的: P(positive) = {p}',
  sentNegative: '否定的: P(positive) = {p}',
  sentOov: '語彙にない単語 {n} 語',
  sentTruncated: 'モデルの最大長を超えた {n} 語は無視',
  sentEmpty: 'レビューが空です。いくつか単語を入力してください。',
  tabAttn: 'アテンション',
  attnIntro:
    '英単語を入力してください。書記素→音素の encoder–decoder がビームサーチで発音を ARPAbet の音素列として出力し、各音素を選んだときにアテンションがどの文字に向いていたかを示します（Luong ら 2015 のグローバルアテンション。Bahdanau ら 2015 のアラインメント図をその場で）。',
  attnLoad: '別のモデルを読み込む（kioku seq2seq train → model.safetensors）',
  attnExamples: '用意した単語:',
  attnExMadeUp: '{word}（造語）',
  attnWord: '単語',
  attnBeam: 'ビーム幅',
  attnHeatHint:
    '行: 選ばれる音素（最終行は終端 </s>）、列: 文字、濃さと数値: その文字へのアテンションの重み α（各行の和は 1）。',
  attnNbest: 'n-best リスト（ビームサーチ）',
  attnNbestHint: 'log p: 各音素と </s> の対数確率の和。行をクリックするとそのアラインメントを表示します。',
  attnHow:
    '発音しない文字にはほとんど注意が向きません（knight の k）。2 文字で 1 音の綴り（ph, gh, th）では注意が分け合われます。自分で学習: `npx kioku seq2seq train`、評価: `npx kioku seq2seq eval --model runs/seq2seq`（docs/sequence-tasks.md）。',
  attnLoading: '同梱モデルを読み込み中…',
  attnNoModel:
    'このビルドには学習済みの G2P モデルがありません（{file} がありません）。`npx kioku seq2seq train --out runs/g2p` で学習し、`node --import tsx scripts/ship-g2p-model.ts runs/g2p` で同梱してから再ビルド（`npm run build:lab`）するか、学習した model.safetensors をボタンで読み込んでください。',
  attnModel:
    'モデル: {name} — {cell} エンコーダ {dirs}×{hidden}、{attention} アテンション、{letters} 文字、{phones} 音素、{params} パラメータ。{score}',
  attnScore: 'テスト WER {wer}、PER {per}（CMUdict の未学習語 {words} 語、ビーム幅 {beam}）',
  attnHeatTitle: '出力 {rank} のアテンション: {word} → /{phones}/',
  attnPhones: '音素',
  attnEmpty: "単語が空です。単語を入力してください（a–z と ' の文字）。",
  attnUnknown:
    'モデルは {chars} を読めません（アルファベット外: {alphabet}）。これらの文字だけで単語を入力してください。',
  attnTruncated:
    'モデルが読むのは最大 {max} 文字です。単語を「{cut}」に切り詰めました（残り {n} 文字は無視）。',
};

const DICTS = { en: EN, ja: JA };

/** The view label `key` in the current language, `{name}` placeholders filled. */
export function tv(key: ViewKey, vars: Record<string, string | number> = {}): string {
  return DICTS[getLang()][key].replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? `{${k}}`));
}

function isViewKey(k: string): k is ViewKey {
  return k in EN;
}

/** Fill every `[data-i18n-v]` element's text under `root`. */
export function applyViewLabels(root: ParentNode = document): void {
  root.querySelectorAll<HTMLElement>('[data-i18n-v]').forEach((el) => {
    const k = el.dataset.i18nV ?? '';
    if (isViewKey(k)) el.textContent = tv(k);
  });
}

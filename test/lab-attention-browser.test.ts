// The lab's attention explorer in a real browser (issue #14): Debian's Chromium driven by
// playwright-core against the built lab (dist/lab) served by `kioku lab`'s server. The n-best
// list (phones and log-probabilities) and the attention weights the page draws must match
// Node's `translateWord` — for the shipped G2P model when the build has one, and always for a
// small model trained here on real CMUdict words and loaded through the page's file input.
// Words the model cannot read get a message, never a guess or a frozen page.
// Skipped, saying why, where /usr/bin/chromium is not installed (.ci/run installs it).
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import '../src/index.node.js';
import { cmudictSplit, loadCmudict } from '../src/wings/seq2seq/cmudict.js';
import { loadG2P, trainG2P } from '../src/wings/seq2seq/train.js';
import { G2P_MAX_WORD, g2pLetters, type LoadedG2P, translateWord } from '../src/wings/seq2seq/translate.js';
import { isRecord } from '../src/util/json.js';
import { loadTaskModel } from '../src/wings/taskfile.js';
import { ATTENTION_EXAMPLES } from '../lab/src/attention-examples.js';
import type { G2PReply } from '../lab/src/views-protocol.js';
import { chromiumSkip, type LabSession, openLab } from './helpers/chromium.js';

const SHIPPED = 'models/g2p/model.safetensors';

/** The scores `scripts/ship-g2p-model.ts` stored in the shipped file. */
function readShippedScores(): { wer: number; words: number; meetsTarget: boolean } {
  const f = loadTaskModel<Record<string, unknown>>(SHIPPED, 'seq2seq');
  const sc = f.extra.scores;
  if (!isRecord(sc) || !isRecord(sc.test)) throw new Error(`${SHIPPED}: no stored scores`);
  const { wer, words } = sc.test;
  if (typeof wer !== 'number' || typeof words !== 'number' || typeof sc.meetsTarget !== 'boolean')
    throw new Error(`${SHIPPED}: malformed stored scores`);
  return { wer, words, meetsTarget: sc.meetsTarget };
}
/** The hooks the view puts on `window` (lab/src/attention-view.ts). */
type Win = {
  kiokuAttention: {
    ready(): Promise<unknown>;
    drawn(): G2PReply | null;
    translate(word: string, beam?: number): Promise<void>;
  };
};

/** What the page drew: the n-best rows, and the heat map's letters, phones and weights. */
interface Drawn {
  nbest: { phones: string; lp: number }[];
  letters: string[];
  phones: string[];
  weights: number[][];
}

function drawnOnPage(page: Page): Promise<Drawn> {
  return page.evaluate(() => {
    const nbest = [...document.querySelectorAll('#attn-nbest tr[data-rank]')].map((tr) => ({
      phones: tr.getAttribute('data-phones') ?? '',
      lp: Number(tr.getAttribute('data-lp')),
    }));
    const rows = [...document.querySelectorAll('#attn-heat tr')].slice(1);
    return {
      nbest,
      letters: [...document.querySelectorAll('#attn-heat th.attn-letter')].map((e) => e.textContent ?? ''),
      phones: rows.map((tr) => tr.querySelector('th.attn-phone')?.textContent ?? ''),
      weights: rows.map((tr) =>
        [...tr.querySelectorAll('td.attn-w')].map((td) => Number(td.getAttribute('data-w'))),
      ),
    };
  });
}

const maxDiff = (a: number[][], b: number[][]): number =>
  Math.max(0, ...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));

/**
 * Translate `word` in the page with `beam` and compare everything drawn — the n-best phones and
 * log p, the heat map of the best output, and every hypothesis' attention in the reply — with
 * Node's `translateWord` on the same model. Returns the largest difference.
 */
async function compareWord(
  page: Page,
  g: LoadedG2P,
  word: string,
  beam: number,
  what: string,
): Promise<number> {
  await page.evaluate(([w, b]) => (window as unknown as Win).kiokuAttention.translate(w, b), [
    word,
    beam,
  ] as const);
  const want = translateWord(g, word, beam, beam);
  const got = await drawnOnPage(page);
  const reply = await page.evaluate(() => (window as unknown as Win).kiokuAttention.drawn());
  assert.ok(reply?.translation, `${what}: ${word} translated`);
  assert.deepEqual(
    got.nbest.map((n) => n.phones),
    want.outputs.map((o) => o.phones.join(' ')),
    `${what}: n-best phones of ${word}`,
  );
  assert.deepEqual(got.letters, want.source);
  assert.deepEqual(got.phones, [...want.outputs[0].phones, '</s>']);
  const lpDiff = Math.max(...got.nbest.map((n, i) => Math.abs(n.lp - want.outputs[i].logProb)));
  const heatDiff = maxDiff(got.weights, want.outputs[0].weights);
  const allDiff = Math.max(
    ...reply.translation.outputs.map((o, k) => maxDiff(o.weights, want.outputs[k].weights)),
  );
  console.log(
    `${what}, "${word}" (beam ${beam}): /${want.outputs[0].phones.join(' ')}/ log p ${want.outputs[0].logProb.toFixed(3)}; page vs Node: ${want.outputs.length} log p max abs diff ${lpDiff.toExponential(2)}, heat map ${heatDiff.toExponential(2)}, every hypothesis' attention ${allDiff.toExponential(2)}`,
  );
  const diff = Math.max(lpDiff, heatDiff, allDiff);
  assert.ok(diff < 1e-5, `${what}: ${word}: max abs diff ${diff}`);
  return diff;
}

async function messageText(page: Page): Promise<string> {
  await page.waitForSelector('#attn-message:not([hidden])');
  return (await page.textContent('#attn-message')) ?? '';
}

describe('the lab attention explorer in Chromium', { skip: chromiumSkip }, () => {
  let s: LabSession;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), 'kioku-lab-attn-'));

  before(async () => {
    s = await openLab(1400, 1000);
    page = s.page;
  });

  after(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the shipped model and matches Node on the prepared words, or says clearly that the build has none', async () => {
    await page.goto(`${s.lab.url}?view=attn`);
    await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
    await page.evaluate(() => (window as unknown as Win).kiokuAttention.ready());
    const line = (await page.textContent('#attn-model')) ?? '';
    console.log(`model line: ${line}`);
    if (existsSync(SHIPPED)) {
      assert.match(line, /models\/g2p\/model\.safetensors — [A-Z]+ encoder \d×\d+/);
      // The page shows the WER the ship script measured (beam 5, all 6,229 test words) on the
      // float16 weights; whether it meets issue #14's 25% is recorded beside it in the file.
      const wer = /test WER (\d+\.\d+)%/.exec(line);
      const stored = readShippedScores();
      assert.ok(wer, `the model line shows the stored WER: ${line}`);
      assert.equal(Number(wer[1]), Number((100 * stored.wer).toFixed(2)));
      assert.equal(stored.words, 6229);
      assert.equal(stored.meetsTarget, stored.wer <= 0.25);
      console.log(
        `shipped model: test WER ${(100 * stored.wer).toFixed(2)}% (beam 5), meets the 25% target: ${stored.meetsTarget}`,
      );
      const g = loadG2P(SHIPPED);
      for (const { word } of ATTENTION_EXAMPLES) {
        await page.click(`#attn-examples button[data-example=${word}]`);
        await page.waitForFunction(
          (w) => (window as unknown as Win).kiokuAttention.drawn()?.input.word === w,
          word,
        );
        await compareWord(page, g, word, 5, 'shipped model');
      }
    } else {
      assert.match(line, /No pretrained G2P model in this build/);
      assert.match(line, /scripts\/ship-g2p-model\.ts/);
      assert.equal(await page.locator('#attn-heat td').count(), 0);
    }
    assert.deepEqual(s.errors, []);
  });

  it("a model trained here, loaded from a file, draws Node's n-best and attention; bad words get messages", async () => {
    // Every 40th training word of the CMU dictionary (2,880 words from a to z), two epochs of a
    // BiLSTM 2×16: a few seconds of CPU, and a model that already writes real phones.
    const out = join(dir, 'tiny');
    const split = cmudictSplit(loadCmudict());
    await trainG2P({
      data: {
        train: split.train.filter((_, i) => i % 40 === 0),
        dev: split.dev.slice(0, 100),
        test: split.test.slice(0, 20),
      },
      epochs: 2,
      lr: 0.01,
      dropout: 0,
      embedDim: 16,
      encoderHidden: 16,
      batchSize: 32,
      out,
    });
    const g = loadG2P(out);
    await page.goto(`${s.lab.url}?view=attn&aword=knight&abeam=3`);
    await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
    await page.evaluate(() => (window as unknown as Win).kiokuAttention.ready());
    assert.equal(await page.inputValue('#attn-word'), 'knight', 'the word comes from the URL');
    assert.equal(await page.inputValue('#attn-beam'), '3', 'the beam width comes from the URL');
    await page.setInputFiles('#attn-file', join(out, 'model.safetensors'));
    // The tiny model's line, not the shipped one's ("LSTM encoder 2×160" contains "2×16"): until
    // the file is loaded, a translation asked for now would be overtaken by the one the load starts.
    await page.waitForFunction(() =>
      /LSTM encoder 2×16\D/.test(document.querySelector('#attn-model')?.textContent ?? ''),
    );
    let worst = 0;
    for (const [word, beam] of [
      ['phoenix', 5],
      ['Knight', 1],
      ['blorptastic', 3],
      ["o'clock", 10],
    ] as const)
      worst = Math.max(worst, await compareWord(page, g, word, beam, 'tiny model (2,880 words)'));
    console.log(`tiny model: page vs Node, max abs diff over all words ${worst.toExponential(2)}`);
    await page.waitForFunction(
      () => location.search.includes('aword=o%27clock') && location.search.includes('abeam=10'),
    );

    // Clicking an n-best row shows that hypothesis' alignment.
    const want = translateWord(g, 'phoenix', 5, 5);
    await compareWord(page, g, 'phoenix', 5, 'tiny model');
    await page.click('#attn-nbest tr[data-rank="2"]');
    const third = await drawnOnPage(page);
    assert.deepEqual(third.phones, [...want.outputs[2].phones, '</s>']);
    assert.ok(maxDiff(third.weights, want.outputs[2].weights) < 1e-5);

    // Empty word: a message, nothing drawn.
    await page.evaluate(() => (window as unknown as Win).kiokuAttention.translate('   '));
    assert.match(await messageText(page), /word is empty/);
    assert.equal(await page.locator('#attn-heat td').count(), 0);

    // Characters outside the alphabet are named, never read as <unk>.
    await page.evaluate(() => (window as unknown as Win).kiokuAttention.translate('café 1'));
    const unknown = await messageText(page);
    console.log(`message for "café 1": ${unknown}`);
    assert.ok(
      unknown.includes(
        `cannot read “é”, U+0020, “1”: not in its alphabet (${g2pLetters(g).sort().join(' ')})`,
      ),
      unknown,
    );
    assert.equal(await page.locator('#attn-heat td').count(), 0);
    assert.equal(
      (await page.evaluate(() => (window as unknown as Win).kiokuAttention.drawn()))?.translation,
      null,
    );

    // A word longer than the model reads: translated from its first letters, and said so.
    const long = 'pneumonoultramicroscopicsilicovolcanoconiosis';
    await compareWord(page, g, long, 2, 'tiny model');
    assert.ok(await page.isHidden('#attn-message'));
    const note = (await page.textContent('#attn-note')) ?? '';
    console.log(`note for the ${long.length}-letter word: ${note}`);
    assert.match(
      note,
      new RegExp(
        `at most ${G2P_MAX_WORD} letters: the word was cut to “${long.slice(0, G2P_MAX_WORD)}” \\(${long.length - G2P_MAX_WORD} more ignored\\)`,
      ),
    );
    assert.equal(await page.locator('#attn-heat th.attn-letter').count(), G2P_MAX_WORD);

    // A file that is not a G2P model is refused with its name.
    await page.setInputFiles('#attn-file', {
      name: 'notes.safetensors',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('not a model'),
    });
    assert.match(await messageText(page), /notes\.safetensors/);
    assert.deepEqual(s.errors, []);
  });

  it('both languages fill every label of the view', async () => {
    for (const lang of ['en', 'ja']) {
      await page.goto(`${s.lab.url}?lang=${lang}&view=attn`);
      await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
      const empty = await page.$$eval('#view-attn [data-i18n-v]', (els) =>
        els.filter((e) => !e.textContent?.trim()).map((e) => e.getAttribute('data-i18n-v')),
      );
      assert.deepEqual(empty, [], `${lang}: every label filled`);
      assert.equal(
        await page.textContent('nav button[data-view=attn]'),
        lang === 'ja' ? 'アテンション' : 'Attention',
      );
      const madeUp = await page.textContent('#attn-examples button[data-example=blorptastic]');
      assert.equal(madeUp, lang === 'ja' ? 'blorptastic（造語）' : 'blorptastic (made up)');
    }
  });
});

/**
 * Screenshots of the lab's handwriting pad, generation explorer and attention explorer for
 * the docs (docs/figures/lab-pad.png, lab-pad-finish.png, lab-gen-ja.png, lab-attention.png,
 * lab-attention-ja.png), taken in Debian's Chromium with playwright-core against the built lab
 * (run `npm run build` first). The pad is written on with synthetic pointer events (a looped
 * cursive line). Name views to take only theirs (`pad`, `gen`, `attn`; default all). The
 * attention explorer shows the shipped G2P model (models/g2p/model.safetensors, in the build)
 * or, with `--g2p-model FILE`, that model loaded through the page's file input.
 *
 *   node --import tsx scripts/lab-views-screenshots.ts
 *   node --import tsx scripts/lab-views-screenshots.ts attn --g2p-model runs/g2p/model.safetensors
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/helpers/chromium.js';
import { startLabServer } from '../src/node/lab-server.js';

const args = parseArgs({ allowPositionals: true, options: { 'g2p-model': { type: 'string' } } });
const VIEWS = ['pad', 'gen', 'attn'];
const bad = args.positionals.filter((v) => !VIEWS.includes(v));
if (bad.length) throw new Error(`unknown view(s) ${bad.join(', ')}: expected some of ${VIEWS.join(', ')}`);
const take = (view: string): boolean => args.positionals.length === 0 || args.positionals.includes(view);
const g2pModel = args.values['g2p-model'];
if (take('attn') && !g2pModel && !existsSync('models/g2p/model.safetensors'))
  throw new Error(
    'no models/g2p/model.safetensors: ship one (scripts/ship-g2p-model.ts) or pass --g2p-model FILE',
  );

const lab = await startLabServer({ port: 0 });
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1680, height: 820 } });
const open = async (query: string): Promise<void> => {
  await page.goto(`${lab.url}?${query}`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
};
type PadWin = { kiokuPad: { ready(): Promise<boolean>; settle(): Promise<void> } };

/** Loops like a cursive "lll…" (a prolate cycloid), from (x0, y0) on the first pad. */
async function loops(p: Page, x0: number, y0: number, turns: number): Promise<void> {
  const box = await p.locator('canvas.pad').first().boundingBox();
  if (!box) throw new Error('no pad on the page');
  const at = (t: number): [number, number] => [
    box.x + x0 + 9 * t - 16 * Math.sin(t),
    box.y + y0 - 30 + 30 * Math.cos(t),
  ];
  await p.mouse.move(...at(0));
  await p.mouse.down();
  for (let t = 0.15; t <= turns * 2 * Math.PI; t += 0.15) await p.mouse.move(...at(t));
  await p.mouse.up();
}

const written: string[] = [];
if (take('pad')) {
  await open('view=pad&pcells=rnn,lstm,gru&pbias=0.5&phairs=50');
  await page.evaluate(() => (window as unknown as PadWin).kiokuPad.ready());
  await loops(page, 30, 170, 3);
  await loops(page, 250, 170, 1.2);
  await page.evaluate(() => (window as unknown as PadWin).kiokuPad.settle());
  await page.screenshot({ path: 'docs/figures/lab-pad.png' });
  await page.click('#pad-finish');
  await page.waitForTimeout(500);
  await page.evaluate(() => (window as unknown as PadWin).kiokuPad.settle());
  await page.waitForFunction(() => document.querySelectorAll('.pad-panel').length === 3);
  await page.waitForTimeout(15_000);
  await page.screenshot({ path: 'docs/figures/lab-pad-finish.png' });
  written.push('lab-pad.png', 'lab-pad-finish.png');
}

if (take('gen')) {
  await page.setViewportSize({ width: 1400, height: 820 });
  await open(`view=gen&lang=ja&gprime=${encodeURIComponent('The Congress ')}&glen=200&gtemps=0.3,0.8,1.3`);
  await page.waitForSelector('.gen-col pre .ch', { timeout: 120_000 });
  await page.click('#gen-beam');
  await page.waitForSelector('.gen-col.beam', { timeout: 120_000 });
  await page.hover('.gen-col:nth-child(2) pre .ch:nth-child(20)');
  for (let k = 0; k < 12; k++) await page.click('#gen-step');
  await page.waitForTimeout(3000);
  await page.hover('.gen-col:nth-child(2) pre .ch:nth-child(20)');
  await page.screenshot({ path: 'docs/figures/lab-gen-ja.png', fullPage: true });
  written.push('lab-gen-ja.png');
}

type AttnWin = {
  kiokuAttention: { ready(): Promise<unknown>; translate(w: string, b?: number): Promise<void> };
};
/** The attention explorer on `word` (beam `beam`), in `lang`, with the model of the build or of --g2p-model. */
async function attention(word: string, beam: number, lang: string): Promise<void> {
  await open(`view=attn&lang=${lang}&aword=${word}&abeam=${beam}`);
  await page.evaluate(() => (window as unknown as AttnWin).kiokuAttention.ready());
  if (g2pModel) {
    await page.setInputFiles('#attn-file', g2pModel);
    await page.waitForFunction(
      () => !(document.querySelector('#attn-model')?.textContent ?? '').includes('No pretrained'),
    );
  }
  await page.evaluate(([w, b]) => (window as unknown as AttnWin).kiokuAttention.translate(w, b), [
    word,
    beam,
  ] as const);
  await page.waitForSelector('#attn-heat td');
}
if (take('attn')) {
  await page.setViewportSize({ width: 1280, height: 760 });
  await attention('phoenix', 5, 'en');
  await page.screenshot({ path: 'docs/figures/lab-attention.png', fullPage: true });
  await attention('knight', 5, 'ja');
  await page.click('#attn-nbest tr[data-rank="1"]');
  await page.screenshot({ path: 'docs/figures/lab-attention-ja.png', fullPage: true });
  written.push('lab-attention.png', 'lab-attention-ja.png');
}

await browser.close();
await lab.close();
console.log(`wrote ${written.map((f) => `docs/figures/${f}`).join(', ')}`);

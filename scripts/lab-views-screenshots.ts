/**
 * Screenshots of the lab's handwriting pad, generation explorer and memory view for the docs
 * (docs/figures/lab-pad.png, lab-pad-finish.png, lab-gen-ja.png, lab-memory.png,
 * lab-memory-dnc-ja.png), taken in Debian's Chromium
 * with playwright-core against the built lab (run `npm run build` first). The pad is written
 * on with synthetic pointer events (a looped cursive line).
 *
 *   node --import tsx scripts/lab-views-screenshots.ts            # all
 *   node --import tsx scripts/lab-views-screenshots.ts memory     # only the memory view
 */
import type { Page } from 'playwright-core';
import { startLabServer } from '../src/node/lab-server.js';
import { launchChromium } from '../test/helpers/chromium.js';

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

const only = process.argv[2];
if (!only || only === 'pad') {
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
}

if (!only || only === 'gen') {
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
}

if (!only || only === 'memory') {
  // The NTM copying a length-10 sequence, halfway through the read-out; the DNC on recall.
  await page.setViewportSize({ width: 1400, height: 900 });
  await open('view=memory&mmodel=ntm-copy&mlen=10&mseed=1&mstep=16');
  await page.waitForSelector('#mem-heads canvas', { timeout: 120_000 });
  await page.screenshot({ path: 'docs/figures/lab-memory.png', fullPage: true });
  await open('view=memory&mmodel=dnc-recall&mlen=4&mseed=1&mstep=22&lang=ja');
  await page.waitForSelector('#mem-heads canvas', { timeout: 120_000 });
  await page.screenshot({ path: 'docs/figures/lab-memory-dnc-ja.png', fullPage: true });
}

await browser.close();
await lab.close();
console.log(`wrote the screenshots of ${only ?? 'pad, gen and memory'} in docs/figures/`);

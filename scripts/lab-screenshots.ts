/**
 * Screenshots of every view of the lab for the docs (docs/figures/lab-*.png), taken in
 * Debian's Chromium with playwright-core against the built lab (run `npm run build` first).
 *
 *   node --import tsx scripts/lab-screenshots.ts
 */
import { readFileSync } from 'node:fs';
import { startLabServer } from '../src/node/lab-server.js';
import { launchChromium } from '../test/helpers/chromium.js';

const cells = JSON.parse(readFileSync('models/lab/char-lstm/cells.json', 'utf8')) as {
  cells: { signal: string; unit: number; series: string; example: string }[];
};
const lab = await startLabServer({ port: 0 });
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const open = async (query: string): Promise<void> => {
  await page.goto(`${lab.url}?${query}`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
};

const line = cells.cells.find((c) => c.signal === 'line') ?? cells.cells[0];
// A passage of the held-out sample with a string literal; the selection is its inside.
const sample = readFileSync('models/lab/char-lstm/corpus-sample.txt', 'utf8');
const lit = /(["'])[a-zA-Z ]{8,40}\1/.exec(sample);
const from = lit ? sample.lastIndexOf('\n', lit.index - 40) + 1 : 0;
const text = sample.slice(from, from + 170);
const sel = lit ? `&sel=${lit.index - from + 1}-${lit.index - from + lit[0].length - 1}` : '';
await open(`text=${encodeURIComponent(text)}&series=c&unit=${line.unit}&sort=var&thr=0.3${sel}`);
await page.click('#match').catch(() => undefined);
await page.waitForSelector('#matches li', { timeout: 60_000 }).catch(() => undefined);
await page.screenshot({ path: 'docs/figures/lab-explorer.png', fullPage: true });

const units = cells.cells.map((c) => c.unit).join(',');
await open(`text=${encodeURIComponent(line.example)}&series=c&units=${units}&unit=${line.unit}`);
await page.screenshot({ path: 'docs/figures/lab-cells.png', fullPage: true });

await open('view=bench&task=adding&len=50&steps=300&seed=0');
await page.click('#b-start');
await page.waitForSelector('#b-status[data-done=true]', { timeout: 600_000 });
await page.screenshot({ path: 'docs/figures/lab-bench.png' });

await open('view=guide&lang=ja');
await page.screenshot({ path: 'docs/figures/lab-guide-ja.png' });

await browser.close();
await lab.close();
console.log('wrote docs/figures/lab-explorer.png, lab-cells.png, lab-bench.png, lab-guide-ja.png');

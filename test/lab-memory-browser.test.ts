// The lab's memory view (issue #15) in a real browser: Debian's Chromium driven by
// playwright-core against the built lab (dist/lab) served by `kioku lab`'s server. The page's
// worker runs the shipped NTM and DNC on a task sequence; its weightings and memory must be
// Node's for the same sequence. Skipped, saying why, where /usr/bin/chromium is not installed.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import '../src/index.node.js';
import { loadMemoryRun } from '../src/wings/memory/run.js';
import { memoryView, type MemoryViewData } from '../src/wings/memory/view.js';
import { chromiumSkip as skip, type LabSession, openLab } from './helpers/chromium.js';

type Win = {
  kiokuMemory: {
    run(model: string, length: number, seed: number): Promise<MemoryViewData>;
    setStep(t: number): void;
  };
};

/** Largest |a − b| over two equally shaped nested arrays (shapes must match). */
function maxDiff(a: number[][], b: number[][], what: string): number {
  assert.equal(a.length, b.length, `${what}: steps`);
  let m = 0;
  a.forEach((row, t) => {
    assert.equal(row.length, b[t].length, `${what}: width at step ${t}`);
    row.forEach((v, i) => (m = Math.max(m, Math.abs(v - b[t][i]))));
  });
  return m;
}

describe('the lab memory view in Chromium', { skip }, () => {
  let ui: LabSession;

  before(async () => {
    ui = await openLab(1400, 900);
  });
  after(() => ui?.close());

  for (const [name, length, seed] of [
    ['ntm-copy', 8, 3],
    ['dnc-recall', 4, 5],
  ] as const) {
    it(`${name}: the page's weightings and memory are Node's for the same sequence`, async () => {
      await ui.page.goto(`${ui.lab.url}?view=memory&mmodel=${name}&mlen=${length}&mseed=${seed}`);
      await ui.page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
      const v = await ui.page.evaluate(([n, l, s]) => (window as unknown as Win).kiokuMemory.run(n, l, s), [
        name,
        length,
        seed,
      ] as const);
      const { model, task } = loadMemoryRun(`models/memory/${name}.safetensors`);
      const ref = memoryView(model, task, { length, seed });
      assert.equal(v.T, ref.T);
      assert.deepEqual(v.inputs, ref.inputs, 'the same task sequence');
      assert.equal(v.heads.length, ref.heads.length);
      const dW = Math.max(
        ...v.heads.map((h, i) => maxDiff(h.weightings, ref.heads[i].weightings, `head ${i}`)),
      );
      const dM = maxDiff(v.memory, ref.memory, 'memory');
      const dY = maxDiff(v.outputs, ref.outputs, 'outputs');
      console.log(
        `${name} (T = ${v.T}, ${v.heads.length} heads): max abs diff page vs Node — weightings ${dW.toExponential(2)}, ` +
          `memory ${dM.toExponential(2)}, outputs ${dY.toExponential(2)}; wrong bits ${v.wrongBits}/${v.scoredBits}`,
      );
      assert.ok(dW < 1e-4 && dM < 1e-4 && dY < 1e-4, 'the page computes what Node computes');
      // The slider moves through the steps; the memory title follows it.
      await ui.page.evaluate((t) => (window as unknown as Win).kiokuMemory.setStep(t), v.T - 1);
      assert.match((await ui.page.textContent('#mem-step-label')) ?? '', new RegExp(`${v.T} / ${v.T}`));
      assert.equal(await ui.page.locator('#mem-heads canvas').count(), v.heads.length);
      assert.deepEqual(ui.errors, []);
    });
  }

  it('both languages fill every label of the view', async () => {
    for (const lang of ['en', 'ja']) {
      await ui.page.goto(`${ui.lab.url}?lang=${lang}&view=memory`);
      await ui.page.waitForSelector('body[data-ready=true]', { timeout: 120_000 });
      const empty = await ui.page.$$eval('#view-memory [data-i18n-v]', (els) =>
        els.filter((e) => !e.textContent?.trim()).map((e) => e.getAttribute('data-i18n-v')),
      );
      assert.deepEqual(empty, [], `${lang}: every label filled`);
      const tab = await ui.page.textContent('nav button[data-view=memory]');
      assert.equal(tab, lang === 'ja' ? 'メモリ（NTM / DNC）' : 'Memory (NTM / DNC)');
    }
  });
});

/**
 * The lab's second set of views (issue #14): the handwriting pad, the generation explorer,
 * the sentiment trace and the attention explorer; and the memory view (issue #15). Each lives in its own module; this one adds their tabs and sections to the page
 * and tells them when they are shown or the language changes.
 */
import { mountAttention, openAttention } from './attention-view.js';
import { mountGen, openGen } from './gen-view.js';
import { mountMemory, openMemory } from './memory-view.js';
import { applyViewLabels } from './i18n-views.js';
import { mountPad, openPad } from './pad-view.js';
import { mountSentiment, openSentiment } from './sentiment-view.js';

const VIEWS: { id: string; label: string; mount: (main: HTMLElement) => void; open: () => void }[] = [
  { id: 'pad', label: 'tabPad', mount: mountPad, open: openPad },
  { id: 'gen', label: 'tabGen', mount: mountGen, open: openGen },
  { id: 'sent', label: 'tabSent', mount: mountSentiment, open: openSentiment },
  { id: 'memory', label: 'tabMemory', mount: mountMemory, open: openMemory },
  { id: 'attn', label: 'tabAttn', mount: mountAttention, open: openAttention },
];

/** Add the views' tabs (before the guide's) and their hidden sections. */
export function mountViews(): void {
  const nav = document.querySelector('header nav');
  const main = document.querySelector('main');
  if (!nav || !(main instanceof HTMLElement)) throw new Error('the lab page has no nav or main');
  const guide = nav.querySelector('button[data-view="guide"]');
  for (const v of VIEWS) {
    const b = document.createElement('button');
    b.dataset.view = v.id;
    b.dataset.i18nV = v.label;
    nav.insertBefore(b, guide);
    v.mount(main);
  }
  applyViewLabels();
}

/** Called by the page after switching to `view`. */
export function viewShown(view: string): void {
  applyViewLabels();
  VIEWS.find((v) => v.id === view)?.open();
}

/** Called by the page after the language changed. */
export function relabelViews(current: string): void {
  viewShown(current);
}

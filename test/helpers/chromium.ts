/**
 * Debian's Chromium for the browser tests, driven by playwright-core (never a downloaded
 * browser), with the flags that keep it offline and quiet; and the lab served by `kioku
 * lab`'s server with one page open on it.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startLabServer, type LabServer } from '../../src/node/lab-server.js';

export const CHROMIUM = '/usr/bin/chromium';

/** `skip` for a browser suite: false, or why it cannot run here. */
export const chromiumSkip: string | false =
  existsSync(CHROMIUM) || process.env.KIOKU_REQUIRE_BROWSER === '1'
    ? false
    : `${CHROMIUM} is not installed (apt-get install -y chromium)`;

/** Headless Chromium with no network side traffic (no updates, sync or first-run pages). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

export interface LabSession {
  lab: LabServer;
  browser: Browser;
  page: Page;
  /** Uncaught page errors, collected as they happen. */
  errors: string[];
  close(): Promise<void>;
}

/** Start the lab server (built lab in dist/lab) and Chromium with one page of `width`×`height`. */
export async function openLab(width: number, height: number): Promise<LabSession> {
  const lab = await startLabServer({ port: 0, runs: 'runs' });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width, height } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return {
    lab,
    browser,
    page,
    errors,
    close: async () => {
      await browser.close();
      await lab.close();
    },
  };
}

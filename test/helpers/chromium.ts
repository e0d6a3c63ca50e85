/**
 * Debian's Chromium for the browser tests and the docs' screenshots (playwright-core, headless,
 * nothing downloaded): the path, the reason to skip where it is not installed, and the launch
 * with the project's flags (no sandbox as root, no GPU, no network of its own).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { type LabServer, startLabServer } from '../../src/node/lab-server.js';

export const CHROMIUM = '/usr/bin/chromium';

/** `false`, or why browser tests are skipped (KIOKU_REQUIRE_BROWSER=1 makes them run and fail). */
export const chromiumSkip: string | false =
  existsSync(CHROMIUM) || process.env.KIOKU_REQUIRE_BROWSER === '1'
    ? false
    : `${CHROMIUM} is not installed (apt-get install -y chromium)`;

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

/** `kioku lab`'s server on a free port and one Chromium page; page errors are collected. */
export interface LabPage {
  lab: LabServer;
  browser: Browser;
  page: Page;
  errors: string[];
  close(): Promise<void>;
}

export async function openLabPage(viewport: { width: number; height: number }): Promise<LabPage> {
  const lab = await startLabServer({ port: 0, runs: 'runs' });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport });
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

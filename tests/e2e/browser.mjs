// Headless Debian Chromium through playwright-core (Playwright never downloads a browser here).
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Flags verified on these machines (see TOOLCHAIN.md). Without the background-networking flags
// Chromium keeps trying to reach the internet. No --user-data-dir: launch() rejects it (it already
// uses a fresh profile).
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/**
 * Starts collecting everything that counts as an error on `page`: console messages of type
 * error (this includes failed resource loads such as a favicon 404), uncaught exceptions and
 * unhandled rejections (pageerror), and renderer crashes. Returns the live array.
 */
export function collectErrors(page) {
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const { url, lineNumber } = msg.location() ?? {};
    errors.push(`console.error: ${msg.text()}${url ? ` (${url}:${lineNumber})` : ''}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.stack || err.message || err}`));
  page.on('crash', () => errors.push('page crashed'));
  return errors;
}

/**
 * A fresh browser context (own storage, clipboard permission for copy buttons) and a page in it,
 * with error collection. `page.errors` is the live list of errors for that page.
 */
export async function newPage(browser, { origin, defaultTimeout = 10_000, ...contextOptions } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...contextOptions });
  if (origin) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  context.setDefaultTimeout(defaultTimeout);
  const page = await context.newPage();
  page.errors = collectErrors(page);
  return page;
}

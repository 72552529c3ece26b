// Screenshots of every declared sweep's card, finished, for looking at what was built and for
// notes. Not a test. Also prints how long each sweep took in the worker, from the page's own
// progress line.
//
//   node tests/e2e/bench/sweep-screens.mjs [--dist DIR] [--out DIR] [--width 1280] [--dark]
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, newPage } from '../browser.mjs';
import { startServer, DIST_DIR } from '../server.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const dist = path.resolve(arg('dist', DIST_DIR));
const out = path.resolve(arg('out', '/tmp/sdp-sweep-screens'));
const width = Number(arg('width', 1280));
const dark = process.argv.includes('--dark');
fs.mkdirSync(out, { recursive: true });

const index = JSON.parse(fs.readFileSync(path.join(dist, 'content', 'index.json'), 'utf8'));
const lessons = index.lessons ?? index;
const server = await startServer({ root: dist });
const browser = await launchBrowser();
try {
  for (const l of lessons) {
    const file = fs.readdirSync(path.join(dist, 'content')).find((f) => f.startsWith(`${l.id}.`));
    const lesson = JSON.parse(fs.readFileSync(path.join(dist, 'content', file), 'utf8'));
    for (const s of lesson.sweep ?? []) {
      const page = await newPage(browser, {
        viewport: { width, height: 900 },
        colorScheme: dark ? 'dark' : 'light',
        isMobile: width < 600,
        hasTouch: width < 600,
        deviceScaleFactor: 1,
      });
      await page.goto(`${server.url}/#/lesson/${l.id}?sweep=${s.id}`);
      await page.waitForFunction(() => document.querySelector('[data-testid="sweep-panel"]')?.dataset.status === 'done', null, { timeout: 120_000 });
      const card = page.locator('[data-testid="sweep-card"]');
      await card.scrollIntoViewIfNeeded();
      const name = `${l.id}-${s.id}-${width}${dark ? '-dark' : ''}.png`;
      await card.screenshot({ path: path.join(out, name) });
      const status = await page.locator('[data-testid="sweep-run-status"]').textContent();
      console.log(`${l.id} / ${s.id}: ${status.trim()} → ${path.join(out, name)}`);
      await page.context().close();
    }
  }
} finally {
  await browser.close();
  await server.close();
}

// Screenshots of every lesson page (and home), for looking at what was built and for notes.
// Not a test: it writes PNGs and prints, per page, where the step's text, the diagram and the
// Play button are (top/bottom, px) so "one screen" can be read off without opening the images.
//
//   node tests/e2e/bench/screens.mjs [--dist DIR] [--out DIR] [--width 1280 --height 800]
//        [--dark] [--step N] [--only lesson-id]
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, newPage } from '../browser.mjs';
import { startServer, DIST_DIR } from '../server.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const dist = path.resolve(arg('dist', DIST_DIR));
const out = path.resolve(arg('out', '/tmp/sdp-screens'));
const width = Number(arg('width', 1280));
const height = Number(arg('height', 800));
const dark = process.argv.includes('--dark');
const step = arg('step', '');
const only = arg('only', '');
fs.mkdirSync(out, { recursive: true });

const index = JSON.parse(fs.readFileSync(path.join(dist, 'content', 'index.json'), 'utf8'));
const ids = (index.lessons ?? index).map((l) => l.id).filter((id) => !only || id === only);

const server = await startServer({ root: dist });
const browser = await launchBrowser();
try {
  for (const id of ['', ...ids]) {
    const page = await newPage(browser, {
      viewport: { width, height },
      colorScheme: dark ? 'dark' : 'light',
      isMobile: width < 600,
      hasTouch: width < 600,
      deviceScaleFactor: 1,
    });
    const hash = id ? `#/lesson/${id}${step ? `?step=${step}` : ''}` : '#/';
    await page.goto(`${server.url}/${hash}`);
    await page.waitForSelector(id ? '[data-testid="play-button"]' : '[data-testid="lesson-list"]', { timeout: 20_000 });
    await page.evaluate(() => document.fonts?.ready);
    const boxes = await page.evaluate(() => {
      const box = (sel) => {
        const el = document.querySelector(sel);
        if (!el) return null;
        const r = el.getBoundingClientRect();
        return `${Math.round(r.top)}–${Math.round(r.bottom)}`;
      };
      return {
        step: box('[data-testid="steps"] .step'),
        diagram: box('.diagram-wrap svg'),
        play: box('[data-testid="play-button"]'),
        tiles: document.querySelectorAll('[data-testid^="metric-"]:not([hidden])').length,
        visibleTiles: [...document.querySelectorAll('[data-testid^="metric-"]')].filter((e) => e.checkVisibility()).length,
        pageHeight: document.documentElement.scrollHeight,
      };
    });
    const name = `${id || 'home'}-${width}${dark ? '-dark' : ''}${step ? `-step${step}` : ''}.png`;
    await page.screenshot({ path: path.join(out, name) });
    console.log(`${name}: step ${boxes.step} · diagram ${boxes.diagram} · play ${boxes.play} · visible metric tiles ${boxes.visibleTiles} · page ${boxes.pageHeight}px`);
    await page.context().close();
  }
} finally {
  await browser.close();
  await server.close();
}

// Time from navigation start to the first rendered lesson in headless Chromium: for each of RUNS
// cold loads (a fresh browser context each, so nothing is cached), performance.now() when
// [data-testid=ring-diagram] first appears in the DOM, and at the next animation frame (painted).
// Prints each run and the medians.
//
//   node tests/e2e/bench/first-render.mjs [--runs 5] [--url '#/lesson/consistent-hashing']
//                                         [--selector '[data-testid="ring-diagram"]'] [--dist DIR]
import { launchBrowser } from '../browser.mjs';
import { startServer, DIST_DIR } from '../server.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const runs = Number(opt('runs', process.env.RUNS ?? '5'));
const route = opt('url', '#/lesson/consistent-hashing');
const selector = opt('selector', '[data-testid="ring-diagram"]');
const timeout = Number(opt('timeout', '15000'));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const server = await startServer({ root: opt('dist', DIST_DIR) });
const browser = await launchBrowser();
const url = new URL(route.startsWith('#') ? `/${route}` : route, `${server.url}/`).href;
const inserted = [];
const painted = [];
let failed = null;
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addInitScript((sel) => {
      const check = () => {
        if (window.__sdpFirstRender === undefined && document.querySelector(sel)) {
          window.__sdpFirstRender = performance.now();
          requestAnimationFrame(() => {
            window.__sdpFirstPaint = performance.now();
          });
        }
      };
      new MutationObserver(check).observe(document, { childList: true, subtree: true });
    }, selector);
    const page = await context.newPage();
    try {
      await page.goto(url);
      await page.waitForFunction(() => window.__sdpFirstPaint !== undefined, null, { timeout });
      const t = await page.evaluate(() => [window.__sdpFirstRender, window.__sdpFirstPaint]);
      inserted.push(t[0]);
      painted.push(t[1]);
      console.log(`run ${i + 1}: ${selector} in DOM at ${t[0].toFixed(1)} ms, painted by ${t[1].toFixed(1)} ms`);
    } catch (err) {
      failed = `${selector} did not appear within ${timeout} ms at ${url} (${err.message.split('\n')[0]})`;
    } finally {
      await context.close();
    }
    if (failed) break;
  }
} finally {
  await browser.close();
  await server.close();
}
if (failed) {
  console.error(`first render: ${failed}`);
  process.exit(2);
}
console.log(
  `first_render_ms_median=${median(inserted).toFixed(1)} first_paint_ms_median=${median(painted).toFixed(1)} runs=${runs}`,
);

// Frame time while a lesson animates, in headless Chromium: opens each lesson at its largest
// preset (the most keys, shards and requests it offers), presses play, and records the interval
// between animation frames for SECONDS of wall time (performance.now() in requestAnimationFrame).
// Prints per page: frames, median / p95 / max frame time (ms) and the share of frames over
// 33.4 ms (two 60 Hz frames). Headless Chromium paints in software, so these are upper bounds.
//
//   node tests/e2e/bench/frame-time.mjs [--seconds 3] [--dist DIR] [--url '#/lesson/…' …]
import { launchBrowser } from '../browser.mjs';
import { startServer, DIST_DIR } from '../server.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const seconds = Number(opt('seconds', '3'));
// The largest preset of each lesson, and compare mode with every column drawing.
const DEFAULT_PAGES = [
  '#/lesson/consistent-hashing?preset=virtual-nodes&servers=A,B,C,D,E,F,G,H,I,J,K,L&vnodes=1000&keys=10000&request_rate=200',
  '#/lesson/modulo-sharding?shards=64&keys=10000&request_rate=200',
  '#/lesson/range-sharding?preset=hot-tail',
  '#/lesson/directory-sharding?preset=whale-own-shard',
  '#/lesson/hashing-strategies?strategy=ketama&keys=50000&request_rate=200',
  '#/lesson/hot-keys?preset=eighty-twenty',
  '#/lesson/cross-shard-queries?preset=by-attribute-64',
  '#/lesson/consistent-hashing?compare=all&keys=2000&request_rate=100',
  '#/lesson/hashing-strategies?compare=all&keys=5000&request_rate=100',
  // Issue 13: 50 servers at 2,000 requests a simulated second (20 ms each: 80 % busy; 20 s keeps
  // the run under the model's 50,000 requests), one diagram and compare mode.
  '#/lesson/least-connections?servers=50&rate=2000&mean_ms=20&duration_s=20',
  '#/lesson/round-robin?servers=50&rate=2000&mean_ms=20&duration_s=20&compare=round-robin,least-connections',
];
const pages = args.flatMap((a, i) => (args[i - 1] === '--url' ? [a] : []));
const list = pages.length ? pages : DEFAULT_PAGES;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const server = await startServer({ root: opt('dist', DIST_DIR) });
const browser = await launchBrowser();
try {
  for (const route of list) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    await page.goto(`${server.url}/${route}`);
    await page.locator('[data-testid="lesson-page"]').waitFor({ timeout: 30000 });
    // The diagram, not just the page: a family's engine loads after the page shell.
    await page.locator('[data-testid$="-diagram"], [data-testid="compare-view"]').first().waitFor({ timeout: 30000 });
    await page.locator('[data-testid="play-button"]').click();
    const deltas = await page.evaluate(
      (ms) =>
        new Promise((resolve) => {
          const out = [];
          let last = performance.now();
          const start = last;
          const tick = (t) => {
            out.push(t - last);
            last = t;
            if (t - start < ms) requestAnimationFrame(tick);
            else resolve(out.slice(1));
          };
          requestAnimationFrame(tick);
        }),
      seconds * 1000,
    );
    // What the last frame drew: SVG elements on the page, and the simulated time reached.
    const drawn = await page.evaluate(() => ({
      nodes: document.querySelectorAll('svg *').length,
      t: document.querySelector('[data-testid="sim-time"]')?.textContent?.trim() ?? '?',
    }));
    await context.close();
    const slow = deltas.filter((d) => d > 33.4).length;
    console.log(
      `frame_time page=${route} frames=${deltas.length} median_ms=${pct(deltas, 50).toFixed(1)} ` +
        `p95_ms=${pct(deltas, 95).toFixed(1)} max_ms=${Math.max(...deltas).toFixed(1)} ` +
        `over_33ms=${((100 * slow) / Math.max(1, deltas.length)).toFixed(1)}% svg_nodes=${drawn.nodes} clock=${JSON.stringify(drawn.t)}`,
    );
  }
} finally {
  await browser.close();
  await server.close();
}

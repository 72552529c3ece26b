// Time from navigation start to the first rendered lesson in headless Chromium: for each of RUNS
// cold loads (a fresh browser context each, so nothing is cached), performance.now() when
// [data-testid=ring-diagram] first appears in the DOM, and at the next animation frame (painted);
// the first contentful paint (the 'paint' entry: the static shell, or the app if there is none),
// and the longest task the main thread ran before that frame (PerformanceObserver 'longtask':
// tasks over 50 ms; 0 when there was none). Prints each run and the medians.
//
// With several --dist, the builds are measured alternately, run by run, in one browser (before
// and after a change, on the same machine state), and the medians are printed per build.
//
//   node tests/e2e/bench/first-render.mjs [--runs 5] [--url '#/lesson/consistent-hashing']
//        [--selector '[data-testid="ring-diagram"]'] [--dist DIR [--dist DIR2 ...]]
//   node tests/e2e/bench/first-render.mjs --url '#/' --selector '[data-testid="lesson-list"]'
import path from 'node:path';
import { launchBrowser } from '../browser.mjs';
import { startServer, DIST_DIR } from '../server.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const all = (name) => args.flatMap((a, i) => (a === `--${name}` && i + 1 < args.length ? [args[i + 1]] : []));
const runs = Number(opt('runs', process.env.RUNS ?? '5'));
const route = opt('url', '#/lesson/consistent-hashing');
const selector = opt('selector', '[data-testid="ring-diagram"]');
const timeout = Number(opt('timeout', '15000'));
const dists = all('dist').length ? all('dist') : [DIST_DIR];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One cold load of `url`: [in DOM, painted, first contentful paint, longest task, tasks > 50 ms]. */
async function load(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  try {
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
      window.__sdpLongTasks = [];
      try {
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) window.__sdpLongTasks.push([e.startTime, e.duration]);
        }).observe({ type: 'longtask', buffered: true });
      } catch {
        window.__sdpLongTasks = null;
      }
    }, selector);
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => window.__sdpFirstPaint !== undefined, null, { timeout });
    // Long tasks are reported when they end: give the one that may be running a frame to land.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
    // The first contentful paint can be reported after the frame that drew it.
    await page
      .waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, null, { timeout })
      .catch(() => {});
    return await page.evaluate(() => {
      const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN;
      const tasks = (window.__sdpLongTasks ?? []).filter(([start]) => start < window.__sdpFirstPaint);
      const longest = window.__sdpLongTasks ? Math.max(0, ...tasks.map(([, d]) => d)) : NaN;
      return [window.__sdpFirstRender, window.__sdpFirstPaint, fcp, longest, tasks.length];
    });
  } finally {
    await context.close();
  }
}

const builds = [];
for (const dir of dists) {
  const server = await startServer({ root: dir });
  builds.push({ dir, name: path.basename(path.resolve(dir)), server, rows: [] });
}
const browser = await launchBrowser();
let failed = null;
try {
  for (let i = 0; i < runs && !failed; i++) {
    for (const b of builds) {
      const url = new URL(route.startsWith('#') ? `/${route}` : route, `${b.server.url}/`).href;
      try {
        const t = await load(browser, url);
        b.rows.push(t);
        const who = builds.length > 1 ? `${b.name} ` : '';
        console.log(
          `${who}run ${i + 1}: ${selector} in DOM at ${t[0].toFixed(1)} ms, painted by ${t[1].toFixed(1)} ms; ` +
            `first contentful paint ${t[2].toFixed(1)} ms; longest task before it ${t[3].toFixed(1)} ms (${t[4]} over 50 ms)`,
        );
      } catch (err) {
        failed = `${selector} did not appear within ${timeout} ms at ${url} (${err.message.split('\n')[0]})`;
        break;
      }
    }
  }
} finally {
  await browser.close();
  for (const b of builds) await b.server.close();
}
if (failed) {
  console.error(`first render: ${failed}`);
  process.exit(2);
}
for (const b of builds) {
  const col = (k) => b.rows.map((r) => r[k]);
  const who = builds.length > 1 ? `${b.name}: ` : '';
  console.log(
    `${who}first_render_ms_median=${median(col(0)).toFixed(1)} first_paint_ms_median=${median(col(1)).toFixed(1)} ` +
      `fcp_ms_median=${median(col(2)).toFixed(1)} longest_task_ms_median=${median(col(3)).toFixed(1)} ` +
      `longest_task_ms_max=${Math.max(...col(3)).toFixed(1)} runs=${b.rows.length}`,
  );
}

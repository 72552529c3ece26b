// Test harness for the end-to-end suite: one static server and one Chromium per test file, a fresh
// browser context per opened page, and an assertion after every test that no page logged a console
// error or threw. Query by data-testid; wait with Playwright's auto-waiting (locator.waitFor,
// page.waitForFunction), never with fixed sleeps.
//
//   import { useApp, tid } from './harness.mjs';
//   const app = useApp();
//   app.test('home lists lessons', async ({ open }) => {
//     const page = await open('#/');
//     await page.locator(tid('lesson-list')).waitFor();
//   });
//
// Environment: E2E_BASE_URL=http://127.0.0.1:8080 tests an already running server instead of
// serving dist/; E2E_TIMEOUT_MS changes the per-wait timeout (default 10 s).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server.mjs';
import { launchBrowser, newPage } from './browser.mjs';

// Generous: a wait only takes this long when something is wrong, and a machine busy compiling
// (CI beside other work) can take seconds to load three embeds of the app at once.
export const WAIT_MS = Number(process.env.E2E_TIMEOUT_MS ?? 20_000);

/** CSS selector for a data-testid. */
export const tid = (id) => `[data-testid="${id}"]`;

/** The lesson URL hash used throughout the suite. */
export const LESSON = '#/lesson/consistent-hashing';

export function useApp() {
  const app = { baseUrl: process.env.E2E_BASE_URL?.replace(/\/$/, '') ?? null, browser: null };
  let server = null;

  before(async () => {
    if (!app.baseUrl) {
      server = await startServer();
      app.baseUrl = server.url;
    }
    app.browser = await launchBrowser();
  });

  after(async () => {
    await app.browser?.close();
    await server?.close();
  });

  /** Absolute URL for a hash route ('#/…'), a path, or an absolute URL. */
  app.url = (where = '#/') => new URL(where.startsWith('#') ? `/${where}` : where, `${app.baseUrl}/`).href;

  /**
   * Registers a test. `fn` receives { open, t }: `open(where, { init })` opens `where` in a fresh
   * page (new browser context, so nothing carries over), after running `init` in it if given, and
   * returns the Playwright page. After `fn`, every
   * page opened must have collected no console errors or page errors.
   */
  app.test = (name, fn, { timeout = 6 * WAIT_MS } = {}) =>
    test(name, { timeout }, async (t) => {
      const pages = [];
      // `init`: a script run in the page before the app's own (Playwright's addInitScript).
      const open = async (where = '#/', { init } = {}) => {
        const page = await newPage(app.browser, { origin: app.baseUrl, defaultTimeout: WAIT_MS });
        pages.push(page);
        if (init) await page.addInitScript(init);
        await page.goto(app.url(where));
        return page;
      };
      const errorReport = () =>
        pages.flatMap((p, i) => p.errors.map((e) => `  page ${i + 1} (${p.url()}): ${e}`)).join('\n');
      try {
        await fn({ open, t });
      } catch (err) {
        const report = errorReport();
        if (report && err instanceof Error) err.message += `\nErrors logged by the page(s):\n${report}`;
        throw err;
      } finally {
        await Promise.all(pages.map((p) => p.context().close().catch(() => {})));
      }
      assert.equal(errorReport(), '', 'no console errors or page errors on any page');
    });

  return app;
}

/** Waits until the lesson page and its diagram (the ring unless named) are rendered. */
export async function lessonReady(page, diagram = 'ring-diagram') {
  await page.locator(tid('lesson-page')).waitFor();
  await page.locator(`svg${tid(diagram)}`).waitFor();
}

/** The `data-value` of a data-testid element as a number (waits for the element). */
export async function dataValue(page, id) {
  const loc = page.locator(tid(id));
  await loc.waitFor({ state: 'attached' });
  const raw = await loc.getAttribute('data-value');
  assert.ok(raw !== null && raw.trim() !== '', `${id} has a non-empty data-value (got ${JSON.stringify(raw)})`);
  const n = Number(raw);
  assert.ok(Number.isFinite(n), `${id} data-value is a number (got ${JSON.stringify(raw)})`);
  return n;
}

/**
 * Waits until a data-testid element's numeric data-value compares to `value` with `op`
 * ('>', '>=', '<', '<=', '==', '!='); returns the value.
 */
export async function waitForDataValue(page, id, op, value) {
  const sel = tid(id);
  try {
    await page.waitForFunction(
      ([s, o, want]) => {
        const el = document.querySelector(s);
        const raw = el?.getAttribute('data-value');
        if (raw === null || raw === undefined || raw === '') return false;
        const v = Number(raw);
        switch (o) {
          case '>': return v > want;
          case '>=': return v >= want;
          case '<': return v < want;
          case '<=': return v <= want;
          case '==': return v === want;
          case '!=': return v !== want;
          default: throw new Error(`unknown op ${o}`);
        }
      },
      [sel, op, value],
      { timeout: WAIT_MS },
    );
  } catch (err) {
    const now = await page.locator(sel).getAttribute('data-value', { timeout: 1 }).catch(() => 'missing');
    throw new Error(`${id} data-value never became ${op} ${value} (now: ${now})\n${err.message}`);
  }
  return dataValue(page, id);
}

/** { suffix: number } for every element whose data-testid starts with `prefix`. */
export async function valuesByPrefix(page, prefix) {
  return page.evaluate((p) => {
    const out = {};
    for (const el of document.querySelectorAll(`[data-testid^="${p}"]`)) {
      out[el.getAttribute('data-testid').slice(p.length)] = Number(el.getAttribute('data-value'));
    }
    return out;
  }, prefix);
}

/**
 * All metric and load-bar values, read once the page has settled: two reads separated by two
 * animation frames must agree (the app may still be replaying a URL's interventions).
 */
export async function settledSnapshot(page) {
  await page.locator(tid('load-chart')).waitFor();
  await page.locator('[data-testid^="metric-"][data-value]').first().waitFor({ state: 'attached' });
  const read = () =>
    page.evaluate(() => {
      const out = {};
      for (const el of document.querySelectorAll('[data-testid^="metric-"], [data-testid^="load-bar-"]')) {
        out[el.getAttribute('data-testid')] = el.getAttribute('data-value');
      }
      return JSON.stringify(out);
    });
  const frames = () =>
    page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
  let last = await read();
  for (let i = 0; i < 50; i++) {
    await frames();
    const next = await read();
    if (next === last) return JSON.parse(next);
    last = next;
  }
  throw new Error(`metrics never settled; last: ${last}`);
}

/**
 * Sets an <input>'s value the way a user would change it (works for type=range, which
 * locator.fill() refuses): native value setter, then `input` and `change` events.
 */
export async function setInputValue(locator, value) {
  await locator.waitFor();
  await locator.evaluate((el, v) => {
    const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value').set;
    setter.call(el, String(v));
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }, value);
}

/** Moves keyboard focus off any control, so that page-level shortcuts are tested, not buttons. */
export async function blur(page) {
  await page.evaluate(() => document.activeElement?.blur?.());
}

/**
 * Opens the lesson's Code tab, checks it shows a highlighted source file and no error, goes back
 * to the Lesson tab, and returns the first 200 characters of the source.
 */
export async function codeShows(page) {
  await page.locator(tid('tab-code')).click();
  const code = page.locator(tid('code-view'));
  await code.waitFor({ state: 'visible' });
  await page.waitForFunction((sel) => /\bfn\s+\w+/.test(document.querySelector(sel)?.textContent ?? ''), tid('code-view'));
  assert.ok(await code.evaluate((el) => el.querySelectorAll('span[class]').length > 10), 'the source is highlighted');
  assert.equal(await page.locator(tid('code-load-error')).count(), 0);
  const text = (await code.textContent()).slice(0, 200);
  await page.locator(tid('tab-lesson')).click();
  return text;
}

/**
 * Shows the guided step that holds question `id` (questions sit inside their step) and returns
 * the question's card. Visiting a step loads its setup, as a learner's click would.
 */
export async function showQuestion(page, id) {
  const card = page.locator(tid(`question-${id}`));
  if (await card.count()) return card;
  const dots = await page.locator('.step-dot').count();
  for (let n = 1; n <= dots; n++) {
    await page.locator(tid(`step-dot-${n}`)).click();
    await page.locator(tid(`step-${n}`)).waitFor();
    await page.locator(tid('step-follow-up')).waitFor({ state: 'attached' });
    if (await card.count()) return card;
  }
  throw new Error(`no step shows question ${id}`);
}

/**
 * A sweep request for the sweep worker, as plain JS (serde-wasm-bindgen reads a
 * `sim::sweep::SweepRequest` from it): the hash ring, five servers, F joins at 2 s; virtual nodes
 * 1..60 at 4 points, `seeds` seeds each, with the theory curve of max/mean.
 */
export function ringRequest({ seeds = 3, seed = 42 } = {}) {
  return {
    def: {
      param: 'vnodes',
      from: 1,
      to: 60,
      steps: 4,
      metrics: ['max_mean_ratio', 'moved_percent'],
      seeds,
      theory: [{ metric: 'max_mean_ratio', curve: 'ring-max-mean' }],
    },
    seed,
    until_ms: 4000,
    inputs: [{ at: 2_000_000, input: { action: 'add-server', arg: 'F' } }],
    series: [{ id: '', label: 'Consistent hashing', model: 'hash-ring', params: { servers: 'A,B,C,D,E', keys: '500', vnodes: '100' } }],
  };
}

/**
 * In `page`: starts the worker, waits for Ready, posts `{ Run: { id, request } }` and returns
 * every message until Done or Failed (Ready first), then terminates the worker.
 */
export async function askWorker(page, id, request) {
  return page.evaluate(
    ([id, request]) =>
      new Promise((resolve, reject) => {
        const worker = new Worker('./sweep-worker_loader.js');
        const log = [];
        const timer = setTimeout(() => reject(new Error(`no answer in 20 s; got ${JSON.stringify(log)}`)), 20_000);
        worker.onerror = (e) => reject(new Error(`the worker failed: ${e.message ?? e.type}`));
        worker.onmessage = (e) => {
          log.push(e.data);
          if (e.data === 'Ready') worker.postMessage({ Run: { id, request } });
          const done = e.data?.Done ?? e.data?.Failed;
          if (done && done.id === id) {
            clearTimeout(timer);
            worker.terminate();
            resolve(log);
          }
        };
      }),
    [id, request],
  );
}

/** The repository's root (for running the CLI beside the browser). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Each server's score in the "what the balancer sees" panel (null when it has none), by name. */
export async function balanceScores(page) {
  return page.locator(`${tid('balance-sees')} li[data-testid^="balance-score-"]`).evaluateAll((items) => Object.fromEntries(items.map((li) => [
    li.dataset.testid.replace('balance-score-', ''),
    li.dataset.score === undefined ? null : Number(li.dataset.score),
  ])));
}

/**
 * Waits for the page's sweep to finish in the worker, checks that every series in `series` draws
 * exactly the medians of `metric` that the CLI computes (`sdp sweep LESSON --sweep ID --json`, the
 * debug build the test layer has already compiled: a release build from a fresh clone takes
 * longer than a test may) and that each curve of `theory` is drawn, and returns the CLI's answer
 * for further checks.
 */
export async function sweepMatchesCli(page, { lesson, sweep, metric, series, theory = [] }) {
  const panel = tid('sweep-panel');
  await page.waitForFunction(
    (sel) => ['done', 'failed'].includes(document.querySelector(sel)?.dataset.status),
    panel,
    { timeout: 6 * WAIT_MS },
  );
  assert.equal(await page.locator(panel).getAttribute('data-status'), 'done');
  const args = ['run', '-q', '-p', 'catalog', '--bin', 'sdp', '--', 'sweep', lesson, '--sweep', sweep, '--json'];
  const cli = JSON.parse(execFileSync('cargo', args, {
    cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20,
  }));
  for (const id of series) {
    const text = await page.locator(tid(`sweep-series-${id}-${metric}`)).first().getAttribute('data-points');
    const drawn = text.split(',').filter((s) => s !== '').map(Number);
    const want = cli.points.filter((p) => p.series === id && p.metric === metric).map((p) => p.median);
    assert.deepEqual(drawn, want, id);
  }
  for (const curve of theory) {
    await page.locator(tid(`sweep-theory-${curve}`)).first().waitFor({ state: 'attached' });
  }
  return cli;
}

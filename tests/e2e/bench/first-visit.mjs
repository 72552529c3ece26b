// What a first visit to a lesson page costs on the wire, until the app is saved for offline use:
// one fresh browser context, the lesson opened, then waiting until a service worker controls the
// page (or --wait ms, for a build without one). Counts, at the server, every request and the body
// bytes of every 200 response, by kind, and how often the wasm went over the wire.
//
//   node tests/e2e/bench/first-visit.mjs [--dist DIR] [--url '#/lesson/consistent-hashing']
//                                        [--cache static|no-cache] [--runs 3]
//
// --cache no-cache serves like a poor static host (no-cache on everything, no validators), where
// every revalidation is a full download.
import path from 'node:path';
import { launchBrowser } from '../browser.mjs';
import { DIST_DIR, startServer } from '../server.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const dist = path.resolve(opt('dist', DIST_DIR));
const route = opt('url', '#/lesson/consistent-hashing');
const cache = opt('cache', 'static');
const runs = Number(opt('runs', '1'));
const timeout = Number(opt('timeout', '60000'));

const kind = (p) => (p.endsWith('.wasm') ? 'wasm' : p.endsWith('.js') ? 'js' : p.endsWith('.css') ? 'css' : p.startsWith('/content/') || p.startsWith('/code/') ? 'lessons' : p === '/' || p.endsWith('.html') ? 'html' : 'other');
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const browser = await launchBrowser();
try {
  for (let i = 0; i < runs; i++) {
    const server = await startServer({ root: dist, cache });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      await page.goto(new URL(`/${route}`, `${server.url}/`).href);
      const saved = await page
        .waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout })
        .then(() => true, () => false);
      // Let the requests the page still has in flight land.
      await page.waitForLoadState('networkidle');
      const by = {};
      let wasmTimes = 0;
      for (const r of server.requests) {
        const k = kind(r.path);
        by[k] ??= { requests: 0, bytes: 0, notModified: 0 };
        by[k].requests += 1;
        if (r.status === 200) by[k].bytes += r.bytes;
        if (r.status === 304) by[k].notModified += 1;
        if (k === 'wasm' && r.status === 200) wasmTimes += 1;
      }
      const total = Object.values(by).reduce((a, b) => a + b.bytes, 0);
      console.log(`run ${i + 1} (${path.basename(dist)}, ${cache} server): ${saved ? 'saved for offline use' : 'no service worker took over'}; ` +
        `${server.requests.length} requests, ${kb(total)}; the wasm downloaded ${wasmTimes}×`);
      for (const [k, v] of Object.entries(by)) console.log(`  ${k.padEnd(8)} ${String(v.requests).padStart(3)} requests (${v.notModified} × 304)  ${kb(v.bytes).padStart(10)}`);
      console.log(`first_visit_bytes=${total} first_visit_requests=${server.requests.length} wasm_downloads=${wasmTimes} saved=${saved}`);
    } finally {
      await context.close();
      await server.close();
    }
  }
} finally {
  await browser.close();
}

// What every worker benchmark script shares: the command line's --name values, and running one
// benchmark message in the app's own sweep worker (dist/sweep-worker_loader.js, the wasm the app
// ships) in headless Chromium, collecting its replies until the one that ends the job.
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, newPage } from '../browser.mjs';
import { startServer, DIST_DIR } from '../server.mjs';

/** The value after `--name` on the command line, or `fallback`. */
export const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

/** A whole number with thousands separators. */
export const fmt = (x) => Math.round(x).toLocaleString('en-US');

/**
 * Posts `message` to a fresh sweep worker from `--dist` (default: the build) and resolves with
 * its replies, each `{ tag, ...body }`, up to and including the one tagged `doneTag`. A reply
 * whose tag does not start with `prefix` is an error; `onReply` sees each as it arrives (progress
 * lines), and the worker's console.log lines are printed.
 */
export async function runWorkerBench({ message, doneTag, prefix, onReply = () => {} }) {
  const dist = path.resolve(arg('dist', DIST_DIR));
  if (!fs.existsSync(path.join(dist, 'sweep-worker_loader.js'))) {
    console.error(`no sweep worker in ${dist}: build the app first (trunk build --release --offline)`);
    process.exit(2);
  }
  const server = await startServer({ root: dist });
  const browser = await launchBrowser();
  try {
    const page = await newPage(browser);
    // Any document of the server's origin will do: no app runs beside the worker.
    await page.goto(`${server.url}/manifest.webmanifest`);
    page.on('console', (m) => {
      if (m.type() === 'log') console.log(`  ${m.text()}`);
    });
    await page.exposeFunction('__benchReply', (r) => onReply(r));
    const replies = await page.evaluate(({ message, doneTag, prefix }) => new Promise((resolve, reject) => {
      // BigInts (u64 on the wire) as numbers: every figure here is far below 2^53.
      const plain = (v) => JSON.parse(JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? Number(x) : x)));
      const worker = new Worker('./sweep-worker_loader.js');
      const out = [];
      worker.onerror = (e) => reject(new Error(`worker error: ${e.message}`));
      worker.onmessage = ({ data }) => {
        if (data === 'Ready') {
          worker.postMessage(message);
          return;
        }
        const [tag, body] = Object.entries(plain(data))[0];
        const reply = { tag, ...body };
        out.push(reply);
        window.__benchReply(reply);
        if (tag === doneTag) {
          worker.terminate();
          resolve(out);
        } else if (!tag.startsWith(prefix)) {
          worker.terminate();
          reject(new Error(`unexpected reply ${JSON.stringify(plain(data))}`));
        }
      };
    }), { message, doneTag, prefix });
    // (A bare document asks for /favicon.ico, which the app does not serve: not the worker's error.)
    const errors = page.errors.filter((e) => !e.includes('/favicon.ico'));
    if (errors.length) throw new Error(`errors in the page: ${errors.join('; ')}`);
    return replies;
  } finally {
    await browser.close();
    await server.close();
  }
}

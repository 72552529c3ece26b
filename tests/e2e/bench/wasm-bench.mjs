// Ring lookups per second and key placement time in this machine's headless Chromium
// WebAssembly engine: opens the app's #/bench page (src/pages/bench.rs), which runs the same
// workload as the native benchmark (sim::bench), and prints its figures.
//
//   node tests/e2e/bench/wasm-bench.mjs [--dist DIR]
import { launchBrowser } from '../browser.mjs';
import { startServer, DIST_DIR } from '../server.mjs';

const args = process.argv.slice(2);
const i = args.indexOf('--dist');
const server = await startServer({ root: i >= 0 ? args[i + 1] : DIST_DIR });
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}/#/bench`);
  const result = page.locator('[data-testid="bench-result"]');
  await result.waitFor({ timeout: 60000 });
  const get = (name) => result.getAttribute(name);
  console.log(`wasm lookups_per_sec=${await get('data-lookups-per-sec')}`);
  console.log(`wasm place_50000_keys_ms=${await get('data-build-ms')}`);
  console.log(`wasm crash_replace_50000_keys_ms=${await get('data-crash-ms')}`);
  for (const row of await page.locator('[data-testid="bench-strategies"] tr[data-strategy]').all()) {
    console.log(`wasm strategy=${await row.getAttribute('data-strategy')} key_lookups_per_sec=${await row.getAttribute('data-per-sec')}`);
  }
  for (const row of await page.locator('[data-testid="bench-million"] tr[data-strategy]').all()) {
    const a = (n) => row.getAttribute(n);
    console.log(`wasm strategy=${await a('data-strategy')} place_1m_ms=${await a('data-place-ms')} recompute_1m_ms=${await a('data-recompute-ms')} moved_percent=${await a('data-moved-percent')}`);
  }
} finally {
  await browser.close();
  await server.close();
}

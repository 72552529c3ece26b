// The harness itself: the static server serves dist/ with a good static host's cache headers,
// Chromium starts, the app's page loads with a <main> element and without console errors.
import assert from 'node:assert/strict';
import { useApp } from './harness.mjs';

const app = useApp();

app.test('the app loads at #/ with a <main> and no console errors', async ({ open }) => {
  const page = await open('#/');
  // The app's own <main> (index.html's static shell has one without an id before the app starts).
  await page.locator('main#main').waitFor({ state: 'attached' });
  assert.equal(await page.locator('main').count(), 1, 'page has one <main>');
  // The wasm module and its JS glue were served with the right MIME types.
  const wasm = await page.evaluate(() =>
    performance.getEntriesByType('resource').some((e) => e.name.endsWith('.wasm')),
  );
  assert.ok(wasm, 'a .wasm file was loaded');
});

app.test('the server serves .wasm as application/wasm and unknown files as 404', async () => {
  const res = await fetch(app.url('/'));
  assert.equal(res.status, 200);
  const html = await res.text();
  // The app's wasm as index.html preloads it (the engine loader's script builds other names).
  const wasmName = html.match(/href="([^"]+\.wasm)"/)?.[1];
  assert.ok(wasmName, 'index.html references a .wasm file');
  const wasm = await fetch(app.url(wasmName.startsWith('/') ? wasmName : `/${wasmName}`));
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.equal((await fetch(app.url('/no-such-file.js'))).status, 404);
});

app.test('the server caches hashed names for good and revalidates the rest (304 when unchanged)', async () => {
  if (process.env.E2E_BASE_URL) return; // another server's headers are its own
  const html = await (await fetch(app.url('/'))).text();
  const wasmName = html.match(/href="([^"]+\.wasm)"/)[1].replace(/^\.?\//, '');
  const wasm = await fetch(app.url(`/${wasmName}`), { method: 'HEAD' });
  assert.equal(wasm.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  const index = await fetch(app.url('/index.html'));
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  const etag = index.headers.get('etag');
  assert.ok(etag && index.headers.get('last-modified'), 'validators for what may change');
  const again = await fetch(app.url('/index.html'), { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  const since = await fetch(app.url('/index.html'), { headers: { 'If-Modified-Since': index.headers.get('last-modified') } });
  assert.equal(since.status, 304);
});

// The workloads lesson end to end: it renders and skew shows in the run (Zipf beats uniform with
// the same cache); the miss-ratio curve runs in the worker and draws one curve per policy, MIN
// lowest, with Che's curve for LRU; and a trace the reader uploads becomes the run's workload,
// survives a reload, reaches the sweep worker, and a bad file gets a message with its line.
import assert from 'node:assert/strict';
import { useApp, tid, waitForDataValue, WAIT_MS } from './harness.mjs';

const app = useApp();

/** Waits until the lesson page and the cache diagram are rendered. */
async function ready(page) {
  await page.locator(tid('lesson-page')).waitFor();
  await page.locator(tid('cache-diagram')).waitFor();
}

/** Waits until the sweep has finished (or failed); returns its status. */
async function sweepDone(page, timeout = 6 * WAIT_MS) {
  await page.waitForFunction(
    (sel) => ['done', 'failed'].includes(document.querySelector(sel)?.dataset.status),
    tid('sweep-panel'),
    { timeout },
  );
  return page.locator(tid('sweep-panel')).getAttribute('data-status');
}

/** The medians a sweep draws for one series and metric, in x order. */
async function medians(page, series, metric) {
  const text = await page.locator(tid(`sweep-series-${series}-${metric}`)).first().getAttribute('data-points');
  return text.split(',').filter((s) => s !== '').map(Number);
}

// The textbook reference string (Silberschatz, Operating System Concepts, ch. 9): with 3 frames
// LRU faults 12 times.
const REFERENCE = '7\n0\n1\n2\n0\n3\n0\n4\n2\n3\n0\n3\n2\n1\n2\n0\n1\n7\n0\n1\n';

/** Opens the "Your trace" control and uploads `files` (Playwright's setInputFiles). */
async function upload(page, file) {
  const details = page.locator(tid('trace-input'));
  await details.waitFor();
  if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
  await page.locator(tid('trace-file')).setInputFiles(file);
}

app.test('renders; with the same cache of 100, Zipf traffic hits far more often than uniform', async ({ open }) => {
  const page = await open('#/lesson/workloads?preset=uniform&t=20000');
  await ready(page);
  const uniform = await waitForDataValue(page, 'metric-hit_ratio', '>', 0);
  assert.ok(uniform > 0.08 && uniform < 0.12, `uniform: about 100/1000 (${uniform})`);
  const zipf = await open('#/lesson/workloads?preset=zipf&t=20000');
  await ready(zipf);
  const hit = await waitForDataValue(zipf, 'metric-hit_ratio', '>', 0.5);
  assert.ok(hit < 0.7, `Zipf 1.0: under the top-100 share 0.69 (${hit})`);
  const top = await waitForDataValue(zipf, 'metric-top20_share', '>', 0.75);
  assert.ok(top < 0.82, `top 20 % near H(200)/H(1000) = 0.785 (${top})`);
});

app.test('the miss-ratio curve runs in the worker: a curve per policy, MIN lowest, Che beside LRU', async ({ open, t }) => {
  const page = await open('#/lesson/workloads?sweep=mrc');
  await ready(page);
  assert.equal(await sweepDone(page), 'done');
  assert.equal(await page.locator(tid('sweep-fallback')).count(), 0, 'the worker ran it, not the page');
  t.diagnostic(`miss-ratio curve in the worker: ${await page.locator(tid('sweep-run-status')).textContent()}`);
  const lru = await medians(page, 'lru', 'miss_ratio');
  const min = await medians(page, 'min', 'miss_ratio');
  assert.equal(lru.length, 10);
  assert.ok(lru.every((v, i) => i === 0 || v <= lru[i - 1]), `LRU's curve falls with size (${lru})`);
  for (const p of ['fifo', 'lfu', 'arc', 's3fifo', 'sieve', 'tinylfu', 'lru']) {
    const ys = await medians(page, p, 'miss_ratio');
    assert.equal(ys.length, 10, p);
    ys.forEach((y, i) => assert.ok(min[i] <= y + 1e-12, `MIN is the floor: ${p} at point ${i}: ${y} < ${min[i]}`));
  }
  await page.locator(tid('sweep-theory-che-lru-miss')).first().waitFor({ state: 'attached' });
});

app.test('an uploaded trace is the workload, a reload keeps it, the sweep worker uses it, a bad file says where', async ({ open }) => {
  const page = await open('#/lesson/workloads');
  await ready(page);
  await upload(page, { name: 'ref-string.txt', mimeType: 'text/plain', buffer: Buffer.from(REFERENCE) });
  const status = page.locator(tid('trace-status'));
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.includes('read all 20 requests'), tid('trace-status'));
  assert.match(await status.textContent(), /one key per line/);
  // The link names the trace by name and hash, not by content.
  await page.waitForFunction(() => /trace=ref-string\.txt~[0-9a-f]{16}/.test(location.hash) && /workload=trace/.test(location.hash));
  const hash = await page.evaluate(() => location.hash);

  // A reload of that link with three slots runs LRU on the trace: the textbook's 12 faults.
  await page.goto(app.url(`${hash.replace(/&t=[^&]*/, '')}&capacity=3&t=20000`));
  await ready(page);
  assert.equal(await waitForDataValue(page, 'metric-requests', '==', 20), 20);
  assert.equal(await waitForDataValue(page, 'metric-misses', '==', 12), 12);
  assert.equal(await page.locator(tid('url-error')).count(), 0, 'no notice: the bytes were kept');

  // A sweep over the capacity runs in the worker, which gets the trace with the request.
  await page.goto(app.url(`${hash.replace(/&t=[^&]*/, '')}&sweep=capacity:1..5:5/misses/seeds:1`));
  await ready(page);
  assert.equal(await sweepDone(page), 'done');
  assert.deepEqual(await medians(page, 'lesson', 'misses'), [20, 17, 12, 8, 7]);

  // An oracleGeneral binary: three 24-byte records, read as requests with sizes.
  const bin = Buffer.alloc(72);
  [5, 6, 5].forEach((id, i) => {
    bin.writeUInt32LE(i, 24 * i);
    bin.writeBigUInt64LE(BigInt(id), 24 * i + 4);
    bin.writeUInt32LE(100, 24 * i + 12);
    bin.writeBigInt64LE(-1n, 24 * i + 16);
  });
  await upload(page, { name: 'tiny.oracleGeneral', mimeType: 'application/octet-stream', buffer: bin });
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.includes('oracleGeneral'), tid('trace-status'));
  assert.match(await status.textContent(), /read all 3 requests/);

  // A bad CSV: the message names the line.
  await upload(page, { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('time,key\n1,a\nsoon,b\n') });
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.includes('line 3'), tid('trace-status'));
  assert.match(await status.textContent(), /was not used: line 3: the time "soon"/);

  // The same link in a fresh browser (no stored bytes) asks for the file, and still runs.
  const elsewhere = await open(hash);
  await elsewhere.locator(tid('lesson-page')).waitFor();
  const notice = await elsewhere.locator(tid('url-error')).textContent();
  assert.match(notice, /ref-string\.txt/);
  assert.match(notice, /upload the file/);
});

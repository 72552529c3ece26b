// The hashing-and-affinity lesson (load balancing): nginx's hash keeps every client on one server
// and "what the balancer sees" shows the hash chain; ip_hash piles one busy /24 onto one server;
// when C leaves, hash mod n moves three clients in four and the ring only C's; bounded loads cut
// the hot client's queue at the price of stickiness (a question answered by the sim); a server
// that joins under session affinity gets nobody; compare mode and the servers sweep show the
// same numbers as the CLI.
// Every figure is `sdp run hashing-and-affinity --preset ID --json`, `sdp compare
// hashing-and-affinity --preset leave-hash` or `sdp sweep hashing-and-affinity --sweep
// moved-vs-servers --json`.
import assert from 'node:assert/strict';
import { useApp, tid, lessonReady, waitForDataValue, showQuestion, setInputValue, WAIT_MS, sweepMatchesCli } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/hashing-and-affinity';
const ready = (page) => lessonReady(page, 'balance-diagram');
const attr = (page, id, name) => page.locator(tid(id)).first().getAttribute(name);
const dataIs = (page, id, key, want) => page.waitForFunction(
  ([sel, k, w]) => document.querySelector(sel)?.dataset[k] === w,
  [tid(id), key, want],
);
const served = async (page, servers) => {
  const out = {};
  for (const s of servers) out[s] = await attr(page, `balance-server-${s}`, 'data-served');
  return out;
};

app.test('nginx hash keeps every client on its server, and the panel shows the hash mod the total weight', async ({ open }) => {
  // `--preset hash`: served 801, 714, 755, 798; same server 100 %; mean 40.4 ms.
  const page = await open(`${LESSON}?v=1&preset=hash&t=30000`);
  await ready(page);
  assert.equal(await attr(page, 'balance-diagram', 'data-servers'), '4');
  await dataIs(page, 'balance-server-A', 'served', '801');
  assert.deepEqual(await served(page, ['A', 'B', 'C', 'D']), { A: '801', B: '714', C: '755', D: '798' });
  assert.equal(await waitForDataValue(page, 'metric-sticky_percent', '==', 100), 100);
  assert.equal(await waitForDataValue(page, 'metric-moved_clients', '==', 0), 0);
  const summary = await page.locator(tid('balance-summary')).textContent();
  assert.match(summary, /^key \d+: hash \d+ mod total weight 4 = [0-3] → [ABCD]/);
  const chosen = await attr(page, 'balance-sees', 'data-chosen');
  assert.match(await page.locator(tid(`balance-score-${chosen}`)).textContent(), /hash \d+ mod 4 = [0-3]/);
});

app.test('ip_hash sends the busy /24 to one server: B queues while A idles', async ({ open }) => {
  // `--preset nat-ip-hash`: B serves 1,488 of 3,061 and is 98 % busy; p99 902.695 ms.
  const page = await open(`${LESSON}?v=1&preset=nat-ip-hash&t=30000`);
  await ready(page);
  await dataIs(page, 'balance-server-B', 'served', '1488');
  assert.equal(await attr(page, 'balance-server-A', 'data-served'), '354');
  assert.equal(await waitForDataValue(page, 'metric-served', '==', 3061), 3061);
  assert.equal(await waitForDataValue(page, 'metric-p99_ms', '==', 902.695), 902.695);
  assert.match(await page.locator(tid('balance-summary')).textContent(), /^10\.\d+\.\d+ hashes 89 → \d+/);
});

app.test('Try it on the hash-mod-n step: C leaves and 76 % of the clients move; on the ring only C\'s 28.5 %', async ({ open }) => {
  const page = await open(`${LESSON}?step=3`);
  await ready(page);
  await page.locator(tid('step-3')).waitFor();
  await page.waitForFunction(() => /do=10000:remove:C/.test(decodeURIComponent(location.hash)));
  await page.locator(tid('step-3-try')).click();
  // The step pauses at the end of the run (30 s), C long gone.
  await page.waitForFunction(
    (sel) => document.querySelector(sel)?.getAttribute('aria-pressed') === 'false'
      && document.querySelector('[data-testid="sim-time"]')?.textContent.trim() === '30.000 s',
    tid('play-button'),
    { timeout: 6 * WAIT_MS },
  );
  await dataIs(page, 'balance-server-C', 'state', 'removed');
  // The question hides the answer, but the tile keeps its value for tools.
  assert.equal(await attr(page, 'metric-moved_percent', 'data-concealed'), 'true');
  assert.equal(await waitForDataValue(page, 'metric-moved_percent', '==', 76), 76);
  assert.equal(await waitForDataValue(page, 'metric-moved_clients', '==', 152), 152);

  const ring = await open(`${LESSON}?v=1&preset=leave-consistent&t=30000`);
  await ready(ring);
  await dataIs(ring, 'balance-server-C', 'state', 'removed');
  assert.equal(await waitForDataValue(ring, 'metric-moved_clients', '==', 57), 57);
  assert.equal(await waitForDataValue(ring, 'metric-moved_percent', '==', 28.5), 28.5);
  assert.match(await ring.locator(tid('balance-summary')).textContent(), /clockwise to [ABD]/);
});

app.test('compare mode: the same removal moves 100, 74, 76, 28.5, 97.5 and 25 % of the clients', async ({ open }) => {
  // `sdp compare hashing-and-affinity --preset leave-hash`.
  const page = await open(`${LESSON}?v=1&preset=leave-hash&compare=all&t=30000`);
  await page.locator(tid('compare-view')).waitFor();
  const want = {
    'round-robin': 100, 'ip-hash': 74, hash: 76, 'consistent-hash': 28.5, 'bounded-load': 97.5, 'session-affinity': 25,
  };
  const cell = (id) => page.locator(tid(`compare-cell-${id}-moved_percent`));
  for (const id of Object.keys(want)) await cell(id).waitFor({ state: 'attached' });
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.value === '25', tid('compare-cell-session-affinity-moved_percent'));
  const got = {};
  for (const id of Object.keys(want)) got[id] = Number(await cell(id).getAttribute('data-value'));
  assert.deepEqual(got, want);
});

app.test('bounded loads: the question on stickiness is answered by running the sim, and the hot server stops queueing', async ({ open }) => {
  const page = await open(`${LESSON}?step=5`);
  await ready(page);
  const q = await showQuestion(page, 'bounded-sticky');
  await q.scrollIntoViewIfNeeded();
  // The run measures 55.5 %; a guess within 10 points is right.
  await setInputValue(q.locator(tid('question-bounded-sticky-input')), '50');
  await q.locator(tid('question-bounded-sticky-submit')).click();
  const result = page.locator(tid('question-bounded-sticky-result'));
  await result.waitFor();
  assert.match((await result.textContent()) ?? '', /correct/i);
  assert.doesNotMatch((await result.textContent()) ?? '', /not quite/i);

  const end = await open(`${LESSON}?v=1&preset=hot-bounded&t=30000`);
  await ready(end);
  await dataIs(end, 'balance-server-C', 'served', '954');
  assert.equal(await waitForDataValue(end, 'metric-p99_ms', '==', 117.005), 117.005);
  assert.match(await end.locator(tid('balance-summary')).textContent(), /the first with fewer than \d+ in flight \(the bound\)/);
});

app.test('session affinity: E joins at 10 s and serves nobody, every client keeps its cookie\'s server', async ({ open }) => {
  // `--preset affinity-add`: E served 0; A–D 757, 796, 763, 756; no client moved.
  const page = await open(`${LESSON}?v=1&preset=affinity-add&t=30000`);
  await ready(page);
  await page.locator(tid('balance-server-E')).waitFor({ state: 'attached' });
  assert.equal(await attr(page, 'balance-diagram', 'data-servers'), '5');
  await dataIs(page, 'balance-server-A', 'served', '757');
  assert.equal(await attr(page, 'balance-server-E', 'data-state'), 'up');
  assert.deepEqual(await served(page, ['B', 'C', 'D', 'E']), { B: '796', C: '763', D: '756', E: '0' });
  assert.equal(await waitForDataValue(page, 'metric-moved_percent', '==', 0), 0);
  assert.match(await page.locator(tid('balance-summary')).textContent(), /^key \d+ is stuck to [ABCD], which is usable/);
  assert.notEqual(await attr(page, 'balance-sees', 'data-chosen'), 'E');
});

app.test('the servers sweep runs in the worker and draws the CLI\'s medians beside (n − 1)/n', async ({ open }) => {
  const page = await open(`${LESSON}?sweep=moved-vs-servers`);
  await ready(page);
  await sweepMatchesCli(page, {
    lesson: 'hashing-and-affinity', sweep: 'moved-vs-servers', metric: 'moved_percent',
    series: ['hash', 'consistent-hash', 'session-affinity'], theory: ['lb-modulo-moved'],
  });
});

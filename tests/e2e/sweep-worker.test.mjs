// The sweep worker (worker/, built by trunk into sweep-worker.js, sweep-worker_bg.wasm and
// sweep-worker_loader.js), spoken to directly from a page of the app: it loads as a classic
// worker, says Ready, and answers a sweep request (the JS shape serde-wasm-bindgen reads a
// `sim::sweep::ToWorker` from) with Started, every run's results in order and in batches, and
// Done; a request it cannot run gets Failed with the reason. A cold load of the app never fetches
// it (budget.test.mjs counts every request); after one visit it starts offline too
// (offline.test.mjs). The app's side, `src/sweep_runner.rs`: tests/browser/sweep_runner.rs.
import assert from 'node:assert/strict';
import { askWorker, ringRequest, tid, useApp } from './harness.mjs';

const app = useApp();

app.test('the sweep worker loads, says Ready, and streams a sweep: Started, every run in order, Done', async ({ open }) => {
  const page = await open('#/');
  await page.locator(tid('lesson-list')).waitFor();
  const log = await askWorker(page, 7, ringRequest());
  assert.equal(log[0], 'Ready', 'Ready first');
  const meta = log[1]?.Started?.meta;
  assert.equal(log[1]?.Started?.id, 7);
  assert.deepEqual(meta.xs, [1, 21, 40, 60], 'the swept values, whole numbers');
  assert.equal(meta.param.id, 'vnodes');
  assert.deepEqual(meta.metrics.map((m) => m.id), ['max_mean_ratio', 'moved_percent']);
  assert.equal(meta.seeds, 3);
  // The theory curve: (x, y) pairs on a grid four times as fine, whole numbers of virtual nodes.
  assert.equal(meta.theory[0].curve, 'ring-max-mean');
  const points = meta.theory[0].points;
  assert.ok(points.length > 4 && points.every(([x, y]) => Number.isInteger(x) && y > 1), JSON.stringify(points));
  assert.deepEqual(log.at(-1), { Done: { id: 7 } });
  const batches = log.slice(2, -1).map((m) => {
    assert.equal(m.Results?.id, 7, `only results between Started and Done: ${JSON.stringify(m)}`);
    return m.Results.results;
  });
  assert.ok(batches.every((b) => b.length > 0), 'no empty batch');
  const runs = batches.flat();
  assert.deepEqual(runs.map((r) => r.run), [...Array(12).keys()], '4 points × 3 seeds, in order');
  for (const r of runs) {
    assert.equal(r.values.length, 2);
    assert.ok(r.values.every((v) => Number.isFinite(v)), JSON.stringify(r));
  }
  // F joins: it takes about a sixth of the keys whatever the virtual nodes; more virtual nodes
  // even out the load (the median of the last point below the first's).
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const at = (point, metric) => median(runs.slice(point * 3, point * 3 + 3).map((r) => r.values[metric]));
  assert.ok(at(3, 0) < at(0, 0), `max/mean ${at(0, 0)} → ${at(3, 0)}`);
  assert.ok(at(3, 1) > 5 && at(3, 1) < 35, `moved ${at(3, 1)} %`);
});

app.test('the same request gives the same numbers; a 64-bit seed crosses as a BigInt', async ({ open }) => {
  const page = await open('#/');
  await page.locator(tid('lesson-list')).waitFor();
  const values = (log) => log.flatMap((m) => m.Results?.results ?? []).map((r) => r.values);
  const a = await askWorker(page, 1, ringRequest());
  const b = await askWorker(page, 2, ringRequest());
  assert.deepEqual(values(a), values(b), 'deterministic');
  const big = await page.evaluate(() => 2n ** 63n + 5n);
  const c = await askWorker(page, 3, ringRequest({ seed: big }));
  assert.deepEqual(c.at(-1), { Done: { id: 3 } }, JSON.stringify(c.at(-1)));
  assert.notDeepEqual(values(c), values(a), 'another seed, other numbers');
});

app.test('a request the worker cannot run gets Failed with the reason, and nothing else', async ({ open }) => {
  const page = await open('#/');
  await page.locator(tid('lesson-list')).waitFor();
  const bad = ringRequest();
  bad.def.param = 'no_such_param';
  const log = await askWorker(page, 4, bad);
  assert.equal(log.length, 2, JSON.stringify(log));
  assert.equal(log[1].Failed.id, 4);
  assert.match(log[1].Failed.message, /no parameter `no_such_param`.*vnodes/);
});

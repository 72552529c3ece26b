// Sweep throughput (a benchmark, not a test): each declared sweep of every lesson, natively (the
// release `sdp sweep`, which prints its own time) and in the page's background worker (from the
// page's progress line, "N runs in T s": the worker's start included), median of RUNS.
//
//   node tests/e2e/bench/sweep-bench.mjs [--dist DIR] [--sdp target/release/sdp] [--runs 3]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, newPage } from '../browser.mjs';
import { startServer, DIST_DIR } from '../server.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const dist = path.resolve(arg('dist', DIST_DIR));
const sdp = path.resolve(arg('sdp', 'target/release/sdp'));
const runs = Number(arg('runs', 3));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const index = JSON.parse(fs.readFileSync(path.join(dist, 'content', 'index.json'), 'utf8'));
const sweeps = [];
for (const l of index.lessons ?? index) {
  const file = fs.readdirSync(path.join(dist, 'content')).find((f) => f.startsWith(`${l.id}.`));
  const lesson = JSON.parse(fs.readFileSync(path.join(dist, 'content', file), 'utf8'));
  for (const s of lesson.sweep ?? []) sweeps.push([l.id, s.id]);
}

const server = await startServer({ root: dist });
const browser = await launchBrowser();
try {
  for (const [lesson, id] of sweeps) {
    const native = [];
    let total = 0;
    let points = 0;
    for (let i = 0; i < runs; i++) {
      // `sdp sweep` prints its time to stderr: "… N runs (P points) in T s: …".
      const r = spawnSync(sdp, ['sweep', lesson, '--sweep', id, '--csv'], { encoding: 'utf8', maxBuffer: 64 << 20 }).stderr;
      const m = r.match(/(\d+) runs \((\d+) points\) in ([\d.]+) s/);
      if (m) {
        total = Number(m[1]);
        points = Number(m[2]);
        native.push(Number(m[3]));
      }
    }
    const page = [];
    for (let i = 0; i < runs; i++) {
      const p = await newPage(browser, { viewport: { width: 1280, height: 900 } });
      await p.goto(`${server.url}/#/lesson/${lesson}?sweep=${id}`);
      await p.waitForFunction(() => document.querySelector('[data-testid="sweep-panel"]')?.dataset.status === 'done', null, { timeout: 120_000 });
      const text = await p.locator('[data-testid="sweep-run-status"]').textContent();
      const m = text.match(/in ([\d.]+) s/);
      if (m) page.push(Number(m[1]));
      await p.context().close();
    }
    const n = median(native);
    const w = median(page);
    console.log(`${lesson} / ${id}: ${total} runs, ${points} points: native ${n.toFixed(2)} s (${(total / n).toFixed(0)} runs/s, ${(points / n).toFixed(1)} points/s); worker ${w.toFixed(1)} s (${(total / w).toFixed(0)} runs/s, ${(points / w).toFixed(1)} points/s, its start included)`);
  }
} finally {
  await browser.close();
  await server.close();
}

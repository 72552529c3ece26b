// The traffic-control family's benchmarks in the browser (issue 14: "decisions per second per
// limiter natively and in wasm; the time to run the backoff experiment for N = 1…100 clients × 5
// strategies × 20 seeds in the worker"). A benchmark, not a test: it starts the app's own sweep
// worker (dist/sweep-worker_loader.js, the wasm the app ships) in headless Chromium, posts it
// {"bench-resilience": {id, decisions, clients, seeds}} (worker/src/bench.rs), and prints what
// the worker measured with its own performance.now(): each limiter's decisions per second on
// sim::resilience::bench::limiter_run, and each backoff strategy's share of the grid.
// With --native FILE (the output of `cargo test -p sim --release --test suite
// resilience_throughput:: -- --ignored --nocapture --test-threads 1`, same --decisions) it fails
// unless every limiter admitted the same requests and every strategy made the same calls natively
// and in wasm, and prints the wasm/native time ratio.
//
//   node tests/e2e/bench/resilience-bench.mjs [--dist dist] [--decisions 10000000] [--native FILE]
import fs from 'node:fs';
import { arg, fmt, runWorkerBench } from './worker-bench.mjs';

const decisions = Number(arg('decisions', '10000000'));
const nativeFile = arg('native');
const replies = await runWorkerBench({
  message: { 'bench-resilience': { id: 1, decisions, clients: 100, seeds: 20 } },
  doneTag: 'bench-resilience-done',
  prefix: 'bench-',
});

// `token-bucket: 10000000 decisions, 5000123 admitted in 0.123 s` and
// `full-jitter: 2000 runs, 123456 calls in 1.234 s` from the native benchmark.
// (The test harness may print its progress dot just before the first line: `.?`.)
const native = new Map();
if (nativeFile) {
  const text = fs.readFileSync(nativeFile, 'utf8');
  for (const m of text.matchAll(/^\.?([a-z-]+): (\d+) decisions, (\d+) admitted in ([\d.]+) s/gm)) {
    native.set(m[1], { count: Number(m[3]), s: Number(m[4]) });
  }
  for (const m of text.matchAll(/^\.?([a-z-]+): (\d+) runs, (\d+) calls in ([\d.]+) s/gm)) {
    native.set(m[1], { count: Number(m[3]), s: Number(m[4]) });
  }
}
const problems = [];
const compare = (name, count, ms) => {
  const n = native.get(name);
  if (!nativeFile) return '';
  if (!n) {
    problems.push(`${name}: not in ${nativeFile}`);
    return '';
  }
  if (n.count !== count) problems.push(`${name}: native ${n.count}, wasm ${count}`);
  return ` wasm_over_native=${(ms / 1000 / n.s).toFixed(2)}`;
};
for (const r of replies.filter((x) => x.tag === 'bench-limiter')) {
  console.log(`wasm limiter=${r.algorithm} decisions=${r.decisions} admitted=${r.admitted} ms=${r.ms.toFixed(0)} decisions_per_sec=${fmt(r.decisions / (r.ms / 1000))}${compare(r.algorithm, r.admitted, r.ms)}`);
}
for (const r of replies.filter((x) => x.tag === 'bench-backoff')) {
  if (r.error) problems.push(`${r.strategy}: ${r.error}`);
  console.log(`wasm backoff=${r.strategy} runs=${r.runs} calls=${r.calls} ms=${r.ms.toFixed(0)}${compare(r.strategy, r.calls, r.ms)}`);
}
const done = replies.find((x) => x.tag === 'bench-resilience-done');
console.log(`wasm backoff_grid clients=1..100 strategies=5 seeds=20 grid_ms=${done.grid_ms.toFixed(0)} total_ms=${done.total_ms.toFixed(0)}`);
if (problems.length) {
  console.error(`problems:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}

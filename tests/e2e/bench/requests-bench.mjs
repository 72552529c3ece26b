// The request simulator's throughput in the browser (issue 13: "simulated requests per second in
// wasm; the time to simulate 1,000,000 requests across eight strategies in the worker"). A
// benchmark, not a test: it starts the app's own sweep worker (dist/sweep-worker_loader.js, the
// wasm the app ships) in headless Chromium, posts it {"bench-requests": {id, requests}}
// (worker/src/bench.rs), and prints what the worker measured with its own performance.now(): for
// each of the eight strategies of sim::requests::bench::BENCH_STRATEGIES, the time to run the
// standard workload (ten servers of four workers at 80 % busy, a 100 ms timeout with one retry,
// health checks: sim::requests::bench::bench_config) to its end, report included, and the
// simulated requests and events per second; then the whole job's time.
// With --native FILE (the output of `cargo test -p sim --release --test suite
// requests_throughput:: -- --ignored --nocapture` at the same --requests, 1,000,000 by default)
// it fails unless every strategy's requests and events are the same natively and in wasm (a run
// is a function of its inputs on every target), and prints the wasm/native time ratio.
//
//   node tests/e2e/bench/requests-bench.mjs [--dist dist] [--requests 1000000] [--native FILE]
import fs from 'node:fs';
import { arg, fmt, runWorkerBench } from './worker-bench.mjs';

const requests = Number(arg('requests', '1000000'));
const nativeFile = arg('native');
const replies = await runWorkerBench({
  message: { 'bench-requests': { id: 1, requests } },
  doneTag: 'bench-requests-done',
  prefix: 'bench-requests',
});

// `round-robin: 1000123 requests, 4061234 events in 0.71 s = …` from the native benchmark.
const native = new Map();
if (nativeFile) {
  for (const m of fs.readFileSync(nativeFile, 'utf8').matchAll(/^([a-z0-9-]+): (\d+) requests, (\d+) events in ([\d.]+) s/gm)) {
    native.set(m[1], { requests: Number(m[2]), events: Number(m[3]), s: Number(m[4]) });
  }
}

const problems = [];
let total = 0;
console.log(`wasm worker, ${fmt(requests)} requests per strategy:`);
for (const r of replies.filter((x) => x.tag === 'bench-requests-strategy')) {
  if (r.error) {
    problems.push(`${r.strategy}: ${r.error}`);
    continue;
  }
  total += r.requests;
  const s = r.ms / 1000;
  let line = `wasm strategy=${r.strategy} requests=${r.requests} events=${r.events} served=${r.served} p99_us=${r.p99_us} ms=${r.ms.toFixed(0)} requests_per_sec=${fmt(r.requests / s)} events_per_sec=${fmt(r.events / s)}`;
  const n = native.get(r.strategy);
  if (nativeFile && !n) problems.push(`${r.strategy}: not in ${nativeFile}`);
  if (n) {
    if (n.requests !== r.requests || n.events !== r.events) {
      problems.push(`${r.strategy}: native ${n.requests} requests, ${n.events} events; wasm ${r.requests}, ${r.events}`);
    }
    line += ` wasm_over_native=${(s / n.s).toFixed(2)}`;
  }
  console.log(line);
}
const done = replies.find((x) => x.tag === 'bench-requests-done');
console.log(`wasm all_strategies requests=${total} total_ms=${done.total_ms.toFixed(0)} requests_per_sec=${fmt(total / (done.total_ms / 1000))}`);
if (problems.length) {
  console.error(`problems:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}

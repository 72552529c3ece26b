// The miss-ratio-curve benchmark in the browser (issue 12: "the time to compute a 20-size ×
// all-policies miss-ratio curve on that trace in the worker"). A benchmark, not a test: it starts
// the app's own sweep worker (dist/sweep-worker_loader.js, the wasm the app ships, trunk's
// worker-release build) in headless Chromium, posts it {"bench-mrc": {id}} (worker/src/bench.rs),
// and prints what the worker measured with its own performance.now(): the time to build the
// 1,000,000-request Zipf(0.8) trace over 100,000 keys, each policy's time for its 20 replays
// (100 to 100,000 objects, log-spaced: sim::bench::MRC_CAPACITIES) and requests per second, its
// miss ratios, and the total. It fails on a result that cannot be right (the checks of
// sim::bench::check_mrc, redone here: a policy missing less than Belady's MIN at some size, LRU's
// or MIN's curve rising, or missing more than once per key when every key fits). With --native FILE (the output of
// `cargo bench -p sim --bench cache -- mrc`) it also fails unless every miss count is the same
// natively and in wasm (a run is a function of its inputs on every target).
//
//   node tests/e2e/bench/mrc-bench.mjs [--dist dist] [--native FILE]
import fs from 'node:fs';
import { arg, fmt, runWorkerBench } from './worker-bench.mjs';

const nativeFile = arg('native');
const replies = await runWorkerBench({
  message: { 'bench-mrc': { id: 1 } },
  doneTag: 'bench-mrc-done',
  prefix: 'bench-mrc',
  onReply: (r) => {
    if (r.tag === 'bench-mrc-trace') console.log(`trace built in ${r.ms.toFixed(0)} ms`);
    if (r.tag === 'bench-mrc-policy') console.log(`${r.policy}: ${(r.ms / 1000).toFixed(1)} s`);
  },
});

const trace = replies.find((r) => r.tag === 'bench-mrc-trace');
const done = replies.find((r) => r.tag === 'bench-mrc-done');
const curves = replies.filter((r) => r.tag === 'bench-mrc-policy');
const caps = done.capacities;
const n = trace.requests;
console.log(`worker mrc: ${fmt(n)} requests over ${fmt(trace.keys)} distinct keys, ${caps.length} sizes from ${fmt(caps[0])} to ${fmt(caps.at(-1))} objects, ${curves.length} policies; trace built (with next uses) in ${fmt(trace.ms)} ms`);
for (const c of curves) {
  const ratios = c.misses.map((m, i) => `${(m / n).toFixed(6)}@${caps[i]}`).join(',');
  console.log(`mrc policy=${c.policy} ms=${c.ms.toFixed(0)} requests_per_sec=${((n * caps.length) / (c.ms / 1000)).toFixed(0)} miss_ratios=${ratios}`);
}
const replayMs = curves.reduce((s, c) => s + c.ms, 0);

// The checks of sim::bench::check_mrc (not shipped in the worker), on the worker's numbers:
// Belady's MIN is optimal, so no policy misses less at any size; LRU and MIN are stack
// algorithms (Mattson et al. 1970), so their misses never rise with the size and, once every
// key fits, are one per key; other policies may rise by at most 0.5 % of the requests (FIFO's
// anomaly, random draws), noted.
const problems = [];
const min = curves.find((c) => c.policy === 'belady');
if (!min) problems.push('no curve for belady (MIN)');
for (const c of curves) {
  if (c.misses.length !== caps.length) {
    problems.push(`${c.policy}: ${c.misses.length} sizes, expected ${caps.length}`);
    continue;
  }
  const stack = c.policy === 'lru' || c.policy === 'belady';
  c.misses.forEach((m, i) => {
    if (min && m < min.misses[i]) problems.push(`${c.policy} beats MIN at ${caps[i]} objects: ${m} misses against MIN's ${min.misses[i]}`);
    if (stack && caps[i] >= trace.keys && m !== trace.keys) problems.push(`${c.policy} at ${caps[i]} objects holds all ${trace.keys} keys but missed ${m} times`);
    if (i === 0 || m <= c.misses[i - 1]) return;
    const text = `${c.policy}: misses rise from ${c.misses[i - 1]} at ${caps[i - 1]} objects to ${m} at ${caps[i]}`;
    if (stack || (m - c.misses[i - 1]) / n > 0.005) problems.push(text);
    else console.log(`mrc note: ${text}`);
  });
}
if (nativeFile) {
  const native = new Map();
  for (const line of fs.readFileSync(nativeFile, 'utf8').split('\n')) {
    const m = line.match(/^mrc policy=(\S+) .*miss_ratios=(\S+)/);
    if (m) native.set(m[1], m[2]);
  }
  const differ = curves.filter((c) => native.get(c.policy) !== c.misses.map((m, i) => `${(m / n).toFixed(6)}@${caps[i]}`).join(','));
  for (const c of differ) problems.push(`${c.policy}: wasm and native curves differ`);
  if (native.size !== curves.length) problems.push(`native printed ${native.size} curves, the worker ${curves.length}`);
  else if (!differ.length) console.log(`mrc: every miss count identical natively and in the worker (${curves.length} × ${caps.length})`);
}
console.log(`mrc total in the worker: ${(done.total_ms / 1000).toFixed(1)} s (${(replayMs / 1000).toFixed(1)} s of replays, ${curves.length * caps.length} replays of ${fmt(n)} requests); MIN the floor at every size: ${problems.length ? 'NO' : 'yes'}`);
if (problems.length) {
  for (const p of problems) console.error(`mrc problem: ${p}`);
  process.exit(1);
}

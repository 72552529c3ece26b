// The caching benchmark's Node side (run by scripts/bench-cache.sh, which builds the wasm first).
// In one Node process and one run:
//   1. our LRU in wasm (sim::cache::lru through cache::replay) and npm lru-cache (v11, `get`, then
//      `set` on a miss: cache-aside) replaying the identical key sequence, generated once in wasm
//      and handed to JS as a Uint32Array; both hit counts printed, and they must agree (both are
//      exact LRUs of 1,000 objects); requests per second and the ratio;
//   2. requests per second of every benchmark policy in wasm.
// Each figure is the median of RUNS (5) timed runs after one warm-up run, each on a fresh, empty
// cache built outside the timed region; the lru-cache and wasm-LRU runs alternate.
//
//   node tests/e2e/bench/cache-bench.mjs --wasm target/cache-bench-wasm/cache_bench_wasm.js
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { LRUCache } from 'lru-cache';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const at = args.indexOf('--wasm');
if (at < 0 || !args[at + 1]) {
  console.error('usage: node tests/e2e/bench/cache-bench.mjs --wasm <wasm-bindgen nodejs output .js>');
  process.exit(2);
}
const { CacheBench } = require(path.resolve(args[at + 1]));
const RUNS = Number(process.env.RUNS || 5);
const lruVersion = lruCacheVersion();

function lruCacheVersion() {
  // lru-cache's exports map hides package.json: read it from the resolved entry's package root.
  const fs = require('node:fs');
  let dir = path.dirname(require.resolve('lru-cache'));
  while (!fs.existsSync(path.join(dir, 'package.json')) || JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).name !== 'lru-cache') {
    dir = path.dirname(dir);
  }
  return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => Math.round(x).toLocaleString('en-US');

const bench = new CacheBench();
const keys = bench.keys(); // Uint32Array, copied once out of wasm memory
const n = keys.length;
const capacity = CacheBench.capacity();

// One wasm run: the cache is built by prepare (untimed), run replays the trace.
function wasmRun(id) {
  if (!bench.prepare(id)) throw new Error(`unknown policy ${id}`);
  const t0 = performance.now();
  const hits = bench.run();
  const ms = performance.now() - t0;
  return { hits, rate: n / (ms / 1000) };
}

// One lru-cache run, cache-aside: get; on a miss, set.
function lruCacheRun() {
  const cache = new LRUCache({ max: capacity });
  let hits = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    if (cache.get(k) !== undefined) hits++;
    else cache.set(k, 1);
  }
  const ms = performance.now() - t0;
  return { hits, rate: n / (ms / 1000) };
}

console.log(`trace: ${fmt(n)} requests, Zipf(0.8) over 100,000 keys (sim::bench::cache_trace), capacity ${fmt(capacity)} objects`);
console.log(`Node ${process.version}, lru-cache ${lruVersion}; median of ${RUNS} timed runs after one warm-up, fresh cache per run`);

// 1. Our LRU in wasm beside lru-cache, alternating, same process.
const warmWasm = wasmRun('lru');
const warmJs = lruCacheRun();
const ours = [];
const theirs = [];
for (let r = 0; r < RUNS; r++) {
  const a = wasmRun('lru');
  const b = lruCacheRun();
  if (a.hits !== warmWasm.hits || b.hits !== warmJs.hits) throw new Error('a replay changed its hit count');
  ours.push(a.rate);
  theirs.push(b.rate);
}
const agree = warmWasm.hits === warmJs.hits;
console.log(`lru wasm (ours)      requests_per_sec=${fmt(median(ours))} hits=${warmWasm.hits}`);
console.log(`lru-cache ${lruVersion} (node) requests_per_sec=${fmt(median(theirs))} hits=${warmJs.hits}`);
console.log(`hit counts ${agree ? 'agree' : 'DISAGREE'}; ours / lru-cache per request: ${(median(ours) / median(theirs)).toFixed(2)}x (target: at least 2x)`);

// 2. Every benchmark policy in wasm.
console.log('wasm, per policy:');
for (const id of CacheBench.policies().split(',')) {
  const warm = wasmRun(id);
  const rates = [];
  for (let r = 0; r < RUNS; r++) rates.push(wasmRun(id).rate);
  console.log(`wasm policy=${id} requests_per_sec=${fmt(median(rates))} hits=${warm.hits} miss_ratio=${(1 - warm.hits / n).toFixed(4)}`);
}
if (!agree) process.exitCode = 1;

// Prints the size of the built app's wasm, JS and CSS: raw, gzip (level 9) and brotli (quality 11),
// using Node's zlib, so no extra tool is needed. trunk's workers (the sweep worker) are listed too,
// and summed on lines of their own: the per-kind totals are the app's own files.
//
//   node tests/e2e/bench/sizes.mjs [DIST_DIR]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { DIST_DIR } from '../server.mjs';
import { workerFiles } from '../../../scripts/budget.mjs';

const dist = path.resolve(process.argv[2] ?? DIST_DIR);
const kinds = ['.wasm', '.js', '.css'];
const files = readdirSync(dist)
  .filter((f) => kinds.includes(path.extname(f)) && statSync(path.join(dist, f)).isFile())
  .sort((a, b) => kinds.indexOf(path.extname(a)) - kinds.indexOf(path.extname(b)) || a.localeCompare(b));
if (files.length === 0) {
  console.error(`no .wasm/.js/.css files in ${dist}: build first`);
  process.exit(1);
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const rows = [];
const total = { raw: 0, gzip: 0, brotli: 0 };
for (const f of files) {
  const data = readFileSync(path.join(dist, f));
  const row = {
    file: f,
    raw: data.length,
    gzip: gzipSync(data, { level: 9 }).length,
    brotli: brotliCompressSync(data, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
    }).length,
  };
  rows.push(row);
  for (const k of Object.keys(total)) total[k] += row[k];
}
const width = Math.max(...files.map((f) => f.length), 5);
console.log(`${'file'.padEnd(width)}  ${'raw'.padStart(10)}  ${'gzip'.padStart(10)}  ${'brotli'.padStart(10)}`);
for (const r of [...rows, { file: 'total', ...total }]) {
  console.log(`${r.file.padEnd(width)}  ${kb(r.raw).padStart(10)}  ${kb(r.gzip).padStart(10)}  ${kb(r.brotli).padStart(10)}`);
}
// Machine-readable lines, one per kind of the app's own files, then one per worker (bytes).
const workers = workerFiles(dist);
const ofWorker = new Set(workers.flatMap((w) => w.files));
const line = (name, of) => {
  const sum = (k) => of.reduce((a, r) => a + r[k], 0);
  console.log(`${name}_bytes=${sum('raw')} ${name}_gzip_bytes=${sum('gzip')} ${name}_brotli_bytes=${sum('brotli')}`);
};
for (const kind of kinds) {
  const of = rows.filter((r) => path.extname(r.file) === kind && !ofWorker.has(r.file));
  if (of.length) line(kind.slice(1), of);
}
for (const w of workers) line(`worker_${w.name.replace(/[^a-z0-9]+/gi, '_')}`, rows.filter((r) => w.files.includes(r.file)));

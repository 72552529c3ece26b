// The size budget: what a first visit downloads, measured on the release build in dist/ and held
// to the figures in budget.toml. A test (scripts/test.sh's `budget` layer), not a benchmark: it
// fails, naming every figure over its limit, when the build grows past the budget.
//
//   node scripts/budget.mjs [--dist dist] [--budget budget.toml]   check dist/ against the budget
//   node scripts/budget.mjs --report [--dist dist]                 print the figures only
//   node scripts/budget.mjs --one-more [--check]                   build the wasm with one more lesson
//                                                                  and print (or check) what it adds
//
// A first visit's bytes are the gzip (level 9) sizes of every file the page loads before it is
// usable: index.html, its stylesheets, scripts and icon, the wasm-bindgen glue and the wasm its
// loader imports, the web app manifest, and for a lesson page or an embed its family's simulation
// engine (engine-<family>.js and engine-<family>_bg.wasm: src/engine.rs) and the lesson's compiled
// JSON (the family's largest, the worst case). So a lesson page is measured per family
// (`lesson_<family>`, `embed_<family>`), and each family has its own budget line: a family whose
// lessons have no line fails the check until one is added. tests/e2e/budget.test.mjs checks in a
// real browser that a cold load requests nothing else, so this list cannot drift from what pages
// really load.
//
// trunk's Web Workers (the sweep worker: sweep-worker.js, sweep-worker_bg.wasm and the loader
// sweep-worker_loader.js) are not part of a first load: a page starts one only when it needs it.
// Their gzip size is printed beside the figures (`worker_<name>_gzip_bytes`), not held to a budget.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..');
export const BUDGET_FILE = path.join(REPO_ROOT, 'budget.toml');

/** `{ section: { key: number } }` from the budget file (sections and `key = 123_456` lines). */
export function readBudget(file = BUDGET_FILE) {
  const out = {};
  let section = null;
  for (const [i, raw] of readFileSync(file, 'utf8').split(/\r?\n/).entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const head = line.match(/^\[([a-z0-9_-]+)\]$/);
    if (head) {
      section = out[head[1]] = {};
      continue;
    }
    const kv = line.match(/^([a-z0-9_-]+)\s*=\s*([0-9_]+)$/);
    if (!kv || !section) throw new Error(`${file}:${i + 1}: expected [section] or key = number, got ${JSON.stringify(raw)}`);
    section[kv[1]] = Number(kv[2].replace(/_/g, ''));
  }
  return out;
}

export const gzipBytes = (data) => gzipSync(data, { level: 9 }).length;

/** Strips `./` and a query from a URL written in index.html. */
const local = (href) => href.replace(/^\.\//, '').split(/[?#]/)[0];

/**
 * The files a page loads at startup, relative to `dist`, read from its index.html: stylesheets,
 * scripts with src, the icon, the manifest, and the glue and wasm the loader imports.
 */
export function startupFiles(dist) {
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const files = new Set(['index.html']);
  for (const m of html.matchAll(/<link\b[^>]*>/gi)) {
    const tag = m[0];
    const rel = (tag.match(/\brel\s*=\s*["']([^"']+)["']/i)?.[1] ?? '').toLowerCase().split(/\s+/);
    const href = tag.match(/\bhref\s*=\s*["']([^"']+)["']/i)?.[1];
    if (!href || /^[a-z]+:|^\/\//i.test(href)) continue;
    if (rel.includes('stylesheet') || rel.includes('icon') || rel.includes('manifest') || rel.includes('modulepreload')) {
      files.add(local(href));
    } else if (rel.includes('preload')) {
      files.add(local(href));
    }
  }
  for (const m of html.matchAll(/<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi)) files.add(local(m[1]));
  for (const m of html.matchAll(/\bfrom\s*['"](\.\/[^'"]+\.js)['"]/g)) files.add(local(m[1]));
  for (const m of html.matchAll(/module_or_path\s*:\s*['"]([^'"]+\.wasm)['"]/g)) files.add(local(m[1]));
  return [...files].sort();
}

/**
 * trunk's workers in `dist`, each `{ name, files }` with its files relative to `dist`: a worker
 * `NAME` is `NAME_loader.js` (the shim a page starts), `NAME.js` (the glue) and `NAME_bg.wasm`.
 */
export function workerFiles(dist) {
  const all = new Set(readdirSync(dist));
  return [...all]
    .filter((f) => f.endsWith('_loader.js'))
    .sort()
    .map((loader) => {
      const name = loader.slice(0, -'_loader.js'.length);
      return { name, files: [`${name}_bg.wasm`, `${name}.js`, loader].filter((f) => all.has(f)) };
    });
}

/** `[{ name, total, files: [{ file, gzip }] }]`: the gzip size of each of trunk's workers. */
export function measureWorkers(dist) {
  return workerFiles(dist).map(({ name, files }) => {
    const rows = files.map((file) => ({ file, gzip: gzipBytes(readFileSync(path.join(dist, file))) }));
    return { name, total: rows.reduce((a, r) => a + r.gzip, 0), files: rows };
  });
}

/** A family's engine in `dist`: its wasm-bindgen glue and its wasm (src/engine.rs). */
export function engineFiles(family) {
  return [`engine-${family}.js`, `engine-${family}_bg.wasm`];
}

/** The registry as the build wrote it (content/index.json). */
function readIndex(dist) {
  return JSON.parse(readFileSync(path.join(dist, 'content', 'index.json'), 'utf8'));
}

/**
 * `{ kind: { total, files: [{ file, gzip }], lesson? } }` for home, and for each family with
 * lessons `lesson_<family>` and `embed_<family>` (its engine and its largest lesson's JSON).
 */
export function measure(dist) {
  const sizes = new Map();
  const size = (f) => {
    if (!sizes.has(f)) sizes.set(f, gzipBytes(readFileSync(path.join(dist, f))));
    return sizes.get(f);
  };
  const startup = startupFiles(dist);
  // A build from before lessons were published as files (its wasm holds them) has no index:
  // its lesson page loads what home loads (for comparing builds across that change).
  const index = existsSync(path.join(dist, 'content', 'index.json')) ? readIndex(dist) : { lessons: [] };
  const families = [...new Set(index.lessons.map((l) => l.family))].sort();
  const kinds = { home: { files: startup } };
  for (const family of families) {
    const largest = index.lessons
      .filter((l) => l.family === family)
      .reduce((best, l) => (!best || size(l.content) > size(best.content) ? l : best), null);
    const engine = engineFiles(family).filter((f) => existsSync(path.join(dist, f)));
    const files = [...startup, ...engine, largest.content];
    kinds[`lesson_${family}`] = { files, lesson: largest.id };
    kinds[`embed_${family}`] = { files, lesson: largest.id };
  }
  const out = {};
  for (const [kind, { files, lesson }] of Object.entries(kinds)) {
    const rows = files.map((file) => ({ file, gzip: size(file) }));
    out[kind] = { total: rows.reduce((a, r) => a + r.gzip, 0), files: rows };
    if (lesson) out[kind].lesson = lesson;
  }
  return out;
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

function printMeasure(m) {
  for (const [kind, { total, files }] of Object.entries(m)) {
    console.log(`${kind}${m[kind].lesson ? ` (the family's largest lesson: ${m[kind].lesson})` : ''}: ${total} bytes gzip (${kb(total)})`);
    for (const r of [...files].sort((a, b) => b.gzip - a.gzip)) console.log(`  ${kb(r.gzip).padStart(10)}  ${r.file}`);
  }
  console.log(Object.entries(m).map(([k, v]) => `first_load_${k}_gzip_bytes=${v.total}`).join(' '));
}

function printWorkers(workers) {
  for (const w of workers) {
    const parts = w.files.map((r) => `${r.file} ${r.gzip}`).join(', ');
    console.log(`worker ${w.name} (loaded when the page starts it, not on a first load): ${w.total} bytes gzip (${kb(w.total)}): ${parts}`);
  }
  if (workers.length) console.log(workers.map((w) => `worker_${w.name.replace(/[^a-z0-9]+/gi, '_')}_gzip_bytes=${w.total}`).join(' '));
}

/** Checks the measured figures against the budget; returns the failures (empty when within). */
export function check(m, budget) {
  const limits = budget.first_load ?? {};
  const failures = [];
  for (const kind of Object.keys(m)) {
    if (!(kind in limits)) failures.push(`budget.toml has no [first_load] ${kind}`);
    else if (m[kind].total > limits[kind]) {
      failures.push(`first load of ${kind}: ${m[kind].total} bytes gzip (${kb(m[kind].total)}) is over the budget of ${limits[kind]} (${kb(limits[kind])}) by ${m[kind].total - limits[kind]}`);
    }
  }
  return failures;
}

// ---- one more lesson -----------------------------------------------------------------------------

function run(cmd, args, env = {}) {
  execFileSync(cmd, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
}

const WASM_OPT_FLAGS = ['-Oz', '--enable-reference-types', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-mutable-globals', '--enable-multivalue'];

/** Builds the app's wasm as trunk does (release, wasm-bindgen, wasm-opt -Oz) with the lessons in `lessonsDir`; returns its gzip bytes. */
function buildWasm(lessonsDir, out) {
  const env = lessonsDir ? { SDP_LESSONS_DIR: lessonsDir } : {};
  run('cargo', ['build', '--quiet', '--offline', '--locked', '--release', '--target', 'wasm32-unknown-unknown', '-p', 'playground', '--bin', 'playground'], env);
  const wasm = path.join(REPO_ROOT, 'target', 'wasm32-unknown-unknown', 'release', 'playground.wasm');
  run('wasm-bindgen', ['--target', 'web', '--out-dir', out, wasm]);
  run('wasm-opt', [...WASM_OPT_FLAGS, path.join(out, 'playground_bg.wasm'), '-o', path.join(out, 'opt.wasm')]);
  return { wasm: gzipBytes(readFileSync(path.join(out, 'opt.wasm'))), glue: gzipBytes(readFileSync(path.join(out, 'playground.js'))) };
}

/**
 * Builds the wasm twice, with the lessons as they are and with a copy of one more lesson (the
 * first lesson file of the first family, under a new id), and returns what the second adds to
 * every page's first load (wasm + glue), and the new lesson's own JSON (gzip).
 */
export function oneMoreLesson() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sdp-one-more-'));
  try {
    const lessons = path.join(tmp, 'lessons');
    cpSync(path.join(REPO_ROOT, 'lessons'), lessons, { recursive: true });
    const family = readdirSync(lessons).filter((f) => statSync(path.join(lessons, f)).isDirectory()).sort()[0];
    const source = readdirSync(path.join(lessons, family)).filter((f) => f.endsWith('.toml') && f !== 'family.toml').sort()[0];
    const id = source.replace(/\.toml$/, '');
    const copy = `${id}-again`;
    const text = readFileSync(path.join(lessons, family, source), 'utf8')
      .replace(/^id = "[^"]*"/m, `id = "${copy}"`)
      .replace(/^title = "([^"]*)"/m, 'title = "$1 (again)"');
    writeFileSync(path.join(lessons, family, `${copy}.toml`), text);
    const before = buildWasm(null, path.join(tmp, 'before'));
    const after = buildWasm(lessons, path.join(tmp, 'after'));
    // Leave target/ as the normal build expects it (the catalog's build script reruns), so the
    // next trunk build is not slowed; CI builds once and need not.
    if (process.env.CI !== 'true') buildWasm(null, path.join(tmp, 'again'));
    const content = readFileSync(path.join(REPO_ROOT, 'lessons', family, source), 'utf8').length;
    return {
      lesson: `${family}/${copy}`,
      before,
      after,
      added: after.wasm + after.glue - before.wasm - before.glue,
      sourceBytes: content,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// ---- command line --------------------------------------------------------------------------------

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
  };
  const dist = path.resolve(opt('dist', path.join(REPO_ROOT, 'dist')));
  const budgetFile = path.resolve(opt('budget', BUDGET_FILE));
  try {
    if (args.includes('--one-more')) {
      const r = oneMoreLesson();
      console.log(`one more lesson (${r.lesson}): wasm ${r.before.wasm} → ${r.after.wasm} bytes gzip, glue ${r.before.glue} → ${r.after.glue}: adds ${r.added} bytes gzip to every first load`);
      console.log(`one_more_lesson_gzip_bytes=${r.added}`);
      if (args.includes('--check')) {
        const limit = readBudget(budgetFile).one_more_lesson?.max;
        if (limit === undefined) throw new Error('budget.toml has no [one_more_lesson] max');
        if (r.added > limit) {
          console.error(`[budget] FAILED: one more lesson adds ${r.added} bytes gzip, over the budget of ${limit}`);
          process.exit(1);
        }
        console.log(`[budget] one more lesson: ${r.added} ≤ ${limit} bytes gzip`);
      }
    } else {
      const m = measure(dist);
      printMeasure(m);
      printWorkers(measureWorkers(dist));
      if (!args.includes('--report')) {
        const failures = check(m, readBudget(budgetFile));
        if (failures.length) {
          for (const f of failures) console.error(`[budget] FAILED: ${f}`);
          console.error(`[budget] ${path.relative(REPO_ROOT, budgetFile)} states what a first visit may download; a build over it fails. Make the build smaller, or raise the budget in the same commit and say why, with these figures.`);
          process.exit(1);
        }
        const limits = readBudget(budgetFile).first_load;
        console.log(`[budget] within budget: ${Object.keys(m).map((k) => `${k} ${m[k].total} ≤ ${limits[k]}`).join(', ')}`);
      }
    }
  } catch (err) {
    console.error(`[budget] error: ${err.message}`);
    process.exit(2);
  }
}

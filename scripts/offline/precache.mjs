// The service worker's precache list, made from the files of one build: every file trunk wrote
// (with the names as trunk hashed them), each with its size, its SHA-256 and whether its name is
// a content hash, and a version derived from the whole list, so that any change to any file gives
// a new cache name. index.html carries that version (<meta name="sdp-build">): the version is
// computed with the stamp blank, then stamped in.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The service worker itself: never in its own precache (the browser fetches it to update). */
export const SW_FILE = 'sw.js';
/** Where the build's SW template puts the build description. */
export const PLACEHOLDER = '/* @sdp-build */ null';
/** index.html's build stamp: `<meta name="sdp-build" content="VERSION">`. */
export const STAMP = /(<meta\s+name="sdp-build"\s+content=")[^"]*(")/;

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/**
 * True for a name that changes whenever its content does, so a copy under that name never goes
 * stale: trunk's hashed assets (`main-<hash>.css`, `playground-<hash>_bg.wasm`: a 64-bit hash in
 * hex without leading zeros, so up to 16 digits, 15 one build in 16) and the lessons' files
 * (`content/<id>.<16 hex>.json`, `code/<file>.<16 hex>.html`). trunk's worker files (the sweep
 * worker's `sweep-worker.js`, `sweep-worker_bg.wasm`, `sweep-worker_loader.js`) and index.html,
 * embed.js, single-file.js, the manifest and the icons keep their names across builds: precached
 * under those names, revalidated, and checked by their SHA-256 like every file.
 * (Fewer than 8 digits, one build in 4 billion, is taken for a plain name: revalidated, no harm.)
 */
export function isHashedName(rel) {
  return /[.-][0-9a-f]{8,16}(?:_bg)?\.[a-z0-9]+$/.test(rel);
}

/** index.html's text with the build stamp set to `version` ('' blanks it). */
export function stampIndex(html, version) {
  if (!STAMP.test(html)) throw new Error('index.html has no <meta name="sdp-build" content=""> to stamp');
  return html.replace(STAMP, (_, open, close) => `${open}${version}${close}`);
}

/** The version index.html is stamped with ('' when it is not stamped yet). */
export function readStamp(html) {
  return html.match(STAMP)?.[0].match(/content="([^"]*)"/)[1] ?? '';
}

/** Relative paths ('/'-separated) of every file under `dir`, sorted. */
function walk(dir, prefix = '') {
  const out = [];
  for (const entry of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...walk(dir, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

/** True for a path the precache leaves out. */
export function isExcluded(rel) {
  return rel === SW_FILE || path.basename(rel).startsWith('.');
}

/**
 * `[{ path, bytes, sha256, hashed }]` for every file of the build in `dir` that is precached.
 * `unstamped`: index.html as if its build stamp were blank (what the version is computed from).
 */
export function listPrecache(dir, { unstamped = false } = {}) {
  const assets = walk(dir)
    .filter((rel) => !isExcluded(rel))
    .map((rel) => {
      let data = readFileSync(path.join(dir, rel));
      if (unstamped && rel === 'index.html') data = Buffer.from(stampIndex(data.toString('utf8'), ''));
      return { path: rel, bytes: data.length, sha256: sha256(data), hashed: isHashedName(rel) };
    });
  if (!assets.some((a) => a.path === 'index.html')) throw new Error(`${dir}: no index.html to precache`);
  return assets;
}

/** The build's version: a digest of every precached path and content (16 hex digits). */
export function precacheVersion(assets) {
  return sha256(assets.map((a) => `${a.path} ${a.sha256}\n`).join('')).slice(0, 16);
}

/** The version of the build in `dir`: computed from its files with index.html's stamp blank. */
export function buildVersion(dir) {
  return precacheVersion(listPrecache(dir, { unstamped: true }));
}

/** Stamps index.html in `dir` with the build's version; returns `{ version, assets }` (as stamped). */
export function stampBuild(dir) {
  const version = buildVersion(dir);
  const indexPath = path.join(dir, 'index.html');
  writeFileSync(indexPath, stampIndex(readFileSync(indexPath, 'utf8'), version));
  return { version, assets: listPrecache(dir) };
}

/** The service worker source: the template with the build description in place of PLACEHOLDER. */
export function renderServiceWorker(template, { version, assets }) {
  const count = template.split(PLACEHOLDER).length - 1;
  if (count !== 1) {
    throw new Error(`the service worker template must contain "${PLACEHOLDER}" exactly once (found ${count})`);
  }
  const build = {
    version,
    assets: assets.map(({ path: p, bytes, sha256: h, hashed }) => ({ path: p, bytes, sha256: h, hashed })),
  };
  return template.replace(PLACEHOLDER, () => JSON.stringify(build, null, 1));
}

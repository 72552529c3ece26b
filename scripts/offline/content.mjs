// The lessons' compiled files in a build: `sdp-content` (the catalog crate's binary, the same
// registry compiled into the app's wasm) writes content/<id>.<digest>.json, code/<file>.<digest>.html
// and content/index.json into the build; this module runs it and fills index.html's boot script
// with the lesson → file and lesson → family maps, so the page starts fetching its lesson and its
// family's engine before the wasm has arrived.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The placeholder in www/index.html's boot script that the map replaces. */
export const CONTENT_PLACEHOLDER = '/* @sdp-content */ {}';

/** Writes the compiled lesson files into `dir` (cargo builds `sdp-content` natively if needed). */
export function writeContent(dir, { repoRoot, log = console.log } = {}) {
  const args = ['run', '--quiet', '--offline', '--locked', '-p', 'catalog', '--bin', 'sdp-content', '--', dir];
  const out = execFileSync('cargo', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  log(`[content] ${out.trim()}`);
  return readIndex(dir);
}

/** The registry as `sdp-content` wrote it: `{ families, lessons: [{ id, title, content, … }], files }`. */
export function readIndex(dir) {
  return JSON.parse(readFileSync(path.join(dir, 'content', 'index.json'), 'utf8'));
}

/**
 * index.html with the boot script's maps filled in: `{ content: { id: file }, families: { id:
 * family } }` (the family names the engine the lesson's page loads).
 */
export function fillBootMap(html, index) {
  const count = html.split(CONTENT_PLACEHOLDER).length - 1;
  if (count !== 1) throw new Error(`index.html must contain "${CONTENT_PLACEHOLDER}" exactly once (found ${count})`);
  const map = {
    content: Object.fromEntries(index.lessons.map((l) => [l.id, l.content])),
    families: Object.fromEntries(index.lessons.map((l) => [l.id, l.family])),
  };
  // `<` escaped so no value can close the script element.
  const json = JSON.stringify(map).replace(/</g, '\\u003c');
  return html.replace(CONTENT_PLACEHOLDER, () => json);
}

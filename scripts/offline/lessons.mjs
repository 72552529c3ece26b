// The lessons the app compiles in, read the way build.rs reads them: every lessons/**/*.toml,
// taking the top-level `id` and `title` (the keys before the first [table] header).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Every `*.toml` under `dir`, recursively, sorted by path. */
function tomlFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tomlFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.toml')) out.push(full);
  }
  return out.sort();
}

/**
 * The value of a top-level `key = "…"` basic string in a TOML document, or null. TOML basic
 * strings use JSON's escapes for everything a lesson id or title can hold.
 */
export function topLevelString(text, key) {
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*\[/.test(line)) break;
    const m = line.match(/^\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*")\s*(?:#.*)?$/);
    if (m && m[1] === key) return JSON.parse(m[2]);
  }
  return null;
}

/** `[{ id, title, file }]` for every lesson file under `lessonsDir`, sorted by file path. */
export function readLessons(lessonsDir) {
  return tomlFiles(lessonsDir).map((file) => {
    const text = readFileSync(file, 'utf8');
    const id = topLevelString(text, 'id');
    const title = topLevelString(text, 'title');
    if (!id || !/^[a-z0-9][a-z0-9-]*$/.test(id)) {
      throw new Error(`${file}: no top-level id = "lowercase-words" (got ${JSON.stringify(id)})`);
    }
    return { id, title: title ?? id, file };
  });
}

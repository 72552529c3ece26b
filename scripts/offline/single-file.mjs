// The single-file version: trunk's index.html with every asset inlined, so that the page works
// opened straight from disk (file://), where nothing else can be loaded.
//
// - stylesheets become <style> blocks; the favicon a data: URL; preloads and the manifest go;
// - wasm-bindgen's `--target web` glue (an ES module) is inlined into one module script, with its
//   exports turned into a local object (a file:// page cannot import another file);
// - the wasm is gzipped and base64-encoded into an inert <script type="application/octet-stream">,
//   unpacked with DecompressionStream and handed to the glue's init as bytes;
// - `window.__SDP_SINGLE_FILE__` tells the app it runs from one file (no service worker, no
//   download links) and, for a lesson's file, the lesson to open when the URL has no route.
//
// Anything this cannot inline (an import in the glue, a local src/href left over) fails the build
// with a message, rather than producing a file that breaks when opened.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/** `{ name: value }` of a tag's attributes (names lower-cased; a bare attribute has value ''). */
export function attributes(tag) {
  const attrs = {};
  const body = tag.replace(/^<\s*[a-z0-9-]+/i, '').replace(/\/?>$/, '');
  for (const m of body.matchAll(/([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g)) {
    attrs[m[1].toLowerCase()] = m[2] ?? m[3] ?? m[4] ?? '';
  }
  return attrs;
}

const isExternal = (url) => /^(?:[a-z][a-z0-9+.-]*:|#|\/\/)/i.test(url);

/** The file under `root` that `href` (as trunk wrote it, under `publicUrl`) names. */
export function localFile(root, href, publicUrl = '/') {
  let rel = href.split(/[?#]/)[0];
  if (publicUrl && publicUrl !== '/' && publicUrl !== './' && rel.startsWith(publicUrl)) {
    rel = rel.slice(publicUrl.length);
  }
  rel = rel.replace(/^(?:\.\/|\/)+/, '');
  const file = path.resolve(root, rel);
  if (!file.startsWith(path.resolve(root) + path.sep)) throw new Error(`${href} points outside the build`);
  return file;
}

const MIME = { '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon' };

function dataUrl(file) {
  const type = MIME[path.extname(file).toLowerCase()];
  if (!type) throw new Error(`no data: URL type for ${file}`);
  return `data:${type};base64,${readFileSync(file).toString('base64')}`;
}

/** `</script` and `<!--` cannot appear inside an inline script; `</style` inside a style. */
function guardInline(text, tag, what) {
  if (new RegExp(`</${tag}`, 'i').test(text) || (tag === 'script' && text.includes('<!--'))) {
    throw new Error(`${what} contains "</${tag}" or "<!--" and cannot be inlined`);
  }
  return text;
}

/**
 * wasm-bindgen's web-target glue as a script body: every `export` removed, and the exports
 * collected into `const <name> = { … }` (with `default` for the init function).
 */
export function inlineGlue(source, name = '__sdpBindings') {
  if (/^\s*import\s*[\w{*'"]/m.test(source) || /\bimport\s*\(/.test(source)) {
    throw new Error('the wasm-bindgen glue imports another module (a snippet?): the single file cannot inline that');
  }
  const exported = [];
  let body = source.replace(/^export\s*\{([^}]*)\};?[ \t]*$/gm, (_, list) => {
    for (const item of list.split(',').map((s) => s.trim()).filter(Boolean)) {
      const m = item.match(/^([A-Za-z_$][\w$]*)(?:\s+as\s+([A-Za-z_$][\w$]*))?$/);
      if (!m) throw new Error(`unexpected export in the wasm-bindgen glue: ${item}`);
      exported.push([m[2] ?? m[1], m[1]]);
    }
    return '';
  });
  body = body.replace(/^export\s+((?:async\s+)?function\*?|class|const|let|var)\s+([A-Za-z_$][\w$]*)/gm, (_, kind, id) => {
    exported.push([id, id]);
    return `${kind} ${id}`;
  });
  if (/^\s*export\b/m.test(body)) throw new Error('the wasm-bindgen glue has an export this script does not understand');
  if (!exported.some(([as]) => as === 'default')) throw new Error('the wasm-bindgen glue exports no default init function');
  const members = exported.map(([as, local]) => `${JSON.stringify(as)}: ${local}`).join(', ');
  return `${body}\nconst ${name} = Object.freeze({ ${members} });\n`;
}

// The lessons' compiled files (content/…json, code/…html), which the app reads from
// `window.__SDP_FILES__` before it would fetch them (src/content.rs). `<` is escaped so that no
// file's text can end the script element.
function filesScript(files) {
  const json = JSON.stringify(files).replace(/</g, '\\u003c');
  return `<script>window.__SDP_FILES__ = ${json};</script>`;
}

// Runs before anything else: marks the page as the single file and opens the lesson.
function bootScript(info) {
  return `<script>
      window.__SDP_SINGLE_FILE__ = ${JSON.stringify(info)};
      (function (lesson) {
        if (!lesson || (location.hash && location.hash !== "#")) return;
        try { history.replaceState(null, "", "#/lesson/" + lesson); } catch (e) { location.hash = "#/lesson/" + lesson; }
      })(window.__SDP_SINGLE_FILE__.lesson);
    </script>`;
}

// The module script that replaces trunk's loader: glue, unpack the wasm, start the app.
function loaderScript(glue) {
  return `<script type="module">
${glue}
async function sdpUnpackWasm() {
  const el = document.getElementById("sdp-wasm");
  if (!el) throw new Error("the embedded WebAssembly is missing from this file");
  const packed = atob(el.textContent.trim());
  el.remove();
  const bytes = new Uint8Array(packed.length);
  for (let i = 0; i < packed.length; i++) bytes[i] = packed.charCodeAt(i);
  if (typeof DecompressionStream !== "function") {
    throw new Error("this browser cannot unpack the embedded WebAssembly (no DecompressionStream); use a current Chrome, Edge, Firefox or Safari");
  }
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
try {
  const wasm = await __sdpBindings.default({ module_or_path: await sdpUnpackWasm() });
  window.wasmBindings = __sdpBindings;
  dispatchEvent(new CustomEvent("TrunkApplicationStarted", { detail: { wasm } }));
} catch (err) {
  const p = document.createElement("p");
  p.setAttribute("role", "alert");
  p.setAttribute("data-testid", "single-file-error");
  p.style.cssText = "margin:2rem;font:16px/1.5 system-ui,sans-serif";
  p.textContent = "System Design Playground could not start from this file: " + (err && err.message ? err.message : err);
  document.body.prepend(p);
  throw err;
}
</script>`;
}

/**
 * The single-file HTML for the build in `root` (trunk's `index.html` text `html`).
 * `lesson`: `{ id, title }` to open that lesson, or null for the home page.
 */
export function buildSingleFile({ root, html, lesson = null, publicUrl = '/', builtFrom = '', files = {} }) {
  const loaders = [...html.matchAll(/<script\b[^>]*type\s*=\s*["']?module["']?[^>]*>([\s\S]*?)<\/script>/gi)].filter((m) =>
    m[1].includes('module_or_path'),
  );
  if (loaders.length !== 1) throw new Error(`expected one trunk loader script in index.html, found ${loaders.length}`);
  const loader = loaders[0][1];
  const gluePath = loader.match(/\bfrom\s*['"]([^'"]+\.js)['"]/)?.[1];
  const wasmPath = loader.match(/module_or_path\s*:\s*['"]([^'"]+\.wasm)['"]/)?.[1];
  if (!gluePath || !wasmPath) throw new Error('could not find the glue and wasm paths in trunk\'s loader script');

  const glue = guardInline(inlineGlue(readFileSync(localFile(root, gluePath, publicUrl), 'utf8')), 'script', 'the glue');
  const wasm = readFileSync(localFile(root, wasmPath, publicUrl));
  const packed = gzipSync(wasm, { level: 9 }).toString('base64');

  let out = html.replace(loaders[0][0], () => loaderScript(glue));
  out = out.replace(/<link\b[^>]*>/gi, (tag) => {
    const a = attributes(tag);
    const rel = (a.rel ?? '').toLowerCase().split(/\s+/);
    if (a['data-trunk'] !== undefined) throw new Error(`unprocessed trunk link left in index.html: ${tag}`);
    if (!a.href || isExternal(a.href)) return tag;
    if (rel.includes('stylesheet')) {
      const css = readFileSync(localFile(root, a.href, publicUrl), 'utf8');
      if (/url\(\s*['"]?(?!data:|#)/i.test(css)) throw new Error(`${a.href} refers to another file with url(): cannot inline`);
      return `<style data-from="${path.basename(a.href)}">\n${guardInline(css, 'style', a.href)}\n</style>`;
    }
    if (rel.includes('icon')) return tag.replace(a.href, dataUrl(localFile(root, a.href, publicUrl)));
    // Preloads of inlined files, the manifest, touch icons: nothing to load from one file.
    return '';
  });
  if (lesson?.title) {
    out = out.replace(/<title>[\s\S]*?<\/title>/i, () => `<title>${escapeHtml(lesson.title)} — System Design Playground</title>`);
  }
  const info = { lesson: lesson?.id ?? null, built: builtFrom };
  // First thing after the charset declaration (which must stay within the first 1024 bytes).
  const charset = out.match(/<meta\s+charset[^>]*>/i);
  const anchor = charset ? charset[0] : out.match(/<head[^>]*>/i)?.[0];
  if (!anchor) throw new Error('index.html has no <head>');
  out = out.replace(anchor, (h) => `${h}\n    ${bootScript(info)}\n    ${filesScript(files)}`);
  out = out.replace(/<\/body>/i, () => `<script type="application/octet-stream" id="sdp-wasm">${packed}</script>\n</body>`);

  const leftover = [...out.matchAll(/\s(?:src|href)\s*=\s*["']([^"']*)["']/gi)]
    .map((m) => m[1])
    .filter((u) => u !== '' && !isExternal(u));
  if (leftover.length) throw new Error(`the single file still refers to local files: ${leftover.join(', ')}`);
  return out;
}

function escapeHtml(s) {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}

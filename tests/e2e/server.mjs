// A tiny static file server for the built app (dist/). Used by the end-to-end tests (port 0, so
// every test file gets a free port) and by scripts/serve.sh.
//
//   import { startServer } from './server.mjs';
//   const server = await startServer({ root: 'dist' });   // server.url = 'http://127.0.0.1:PORT'
//   server.requests;                                      // [{ method, path, status, bytes }]
//   await server.close();
//
//   node tests/e2e/server.mjs [--root dist] [--host 127.0.0.1] [--port 8080] [--log] [--cache no-cache]
//
// Cache headers, as a good static host sends them (`cache: 'static'`, the default): a file whose
// name is a content hash (scripts/offline/precache.mjs isHashedName: trunk's assets, the lessons'
// files) never changes, `Cache-Control: public, max-age=31536000, immutable`; anything else
// (index.html, sw.js, embed.js, the manifest, icons) `no-cache`, with an ETag and Last-Modified,
// and a conditional request for an unchanged file gets a 304. `cache: 'no-cache'` is a poor host:
// `no-cache` on everything and no validators, so every revalidation is a full download.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isHashedName } from '../../scripts/offline/precache.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST_DIR = path.join(REPO_ROOT, 'dist');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
};

export function mimeType(file) {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

async function isFile(file) {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** The caching headers for a file served under `urlPath` with these stats. */
function cacheHeaders(urlPath, { size, mtimeMs, mtime }, cache) {
  if (cache === 'no-cache') return { 'Cache-Control': 'no-cache' };
  if (isHashedName(urlPath)) return { 'Cache-Control': 'public, max-age=31536000, immutable' };
  return {
    'Cache-Control': 'no-cache',
    ETag: `W/"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`,
    'Last-Modified': mtime.toUTCString(),
  };
}

/** True when a conditional request's validators say the client's copy is current. */
function notModified(req, headers) {
  const tags = req.headers['if-none-match'];
  if (tags !== undefined) return headers.ETag !== undefined && tags.split(',').some((t) => t.trim() === headers.ETag || t.trim() === '*');
  const since = req.headers['if-modified-since'];
  if (since === undefined || headers['Last-Modified'] === undefined) return false;
  return Date.parse(headers['Last-Modified']) <= Date.parse(since);
}

/**
 * Serves `root` on `host:port` (port 0 picks a free port). Unknown paths without a file extension
 * fall back to index.html (the app routes by URL hash, but a deep link must still load the app);
 * unknown files with an extension are 404. Every request is recorded in `server.requests` (and
 * printed with `log`), with the body bytes sent. For tests, `replace(file, n)` may return a body
 * to send instead of `file` (its path under `root`) when it is asked for the n-th time (from 0).
 */
export async function startServer({ root = DIST_DIR, host = '127.0.0.1', port = 0, log = false, cache = 'static', replace } = {}) {
  if (cache !== 'static' && cache !== 'no-cache') throw new Error(`cache: 'static' or 'no-cache', not ${JSON.stringify(cache)}`);
  const requests = [];
  const entryPath = (req) => decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
  const record = (req, status, bytes) => {
    const entry = { method: req.method, path: entryPath(req), status, bytes };
    requests.push(entry);
    if (log) console.log(`${status} ${req.method} ${req.url} ${bytes}`);
  };
  const rootDir = path.resolve(root);
  if (!(await isFile(path.join(rootDir, 'index.html')))) {
    throw new Error(
      `${path.join(rootDir, 'index.html')} not found: build the app first ` +
        '(`trunk build --release --offline`; scripts/test.sh and scripts/serve.sh do this)',
    );
  }
  const server = createServer(async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        record(req, 405, 0);
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      const urlPath = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
      let file = path.join(rootDir, path.normalize(urlPath));
      if (file !== rootDir && !file.startsWith(rootDir + path.sep)) {
        record(req, 403, 0);
        res.writeHead(403).end();
        return;
      }
      if (!(await isFile(file))) {
        const index = path.join(file, 'index.html');
        if (await isFile(index)) file = index;
        else if (path.extname(urlPath) === '') file = path.join(rootDir, 'index.html');
        else {
          record(req, 404, 0);
          res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
          return;
        }
      }
      const stats = await stat(file);
      const headers = cacheHeaders(path.relative(rootDir, file).split(path.sep).join('/'), stats, cache);
      if (notModified(req, headers)) {
        record(req, 304, 0);
        res.writeHead(304, headers).end();
        return;
      }
      const rel = path.relative(rootDir, file).split(path.sep).join('/');
      const body = replace?.(rel, requests.filter((r) => r.path === entryPath(req)).length);
      if (body !== undefined) {
        res.writeHead(200, { 'Content-Type': mimeType(file), 'Content-Length': Buffer.byteLength(body), ...headers });
        record(req, 200, Buffer.byteLength(body));
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      res.writeHead(200, { 'Content-Type': mimeType(file), 'Content-Length': stats.size, ...headers });
      record(req, 200, req.method === 'HEAD' ? 0 : stats.size);
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    } catch (err) {
      record(req, 500, 0);
      res.writeHead(500).end(String(err));
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

// Command line: node tests/e2e/server.mjs [--root DIR] [--host HOST] [--port PORT] [--log]
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, fallback) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
  };
  const root = opt('root', DIST_DIR);
  const host = opt('host', '127.0.0.1');
  const port = Number(opt('port', '8080'));
  try {
    const server = await startServer({ root, host, port, log: args.includes('--log'), cache: opt('cache', 'static') });
    console.log(`Serving ${path.resolve(root)} at ${server.url}/ (Ctrl-C to stop)`);
    for (const signal of ['SIGINT', 'SIGTERM']) {
      process.on(signal, async () => {
        await server.close();
        process.exit(0);
      });
    }
  } catch (err) {
    if (err.code === 'EADDRINUSE') console.error(`error: ${host}:${port} is already in use (set PORT=...)`);
    else console.error(`error: ${err.message}`);
    process.exit(1);
  }
}

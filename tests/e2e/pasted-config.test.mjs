// Bring your own config (issue 13): a pasted nginx `upstream` block or HAProxy `backend` runs as
// the balancing lesson's servers and strategy, every directive the model leaves out is listed in
// the page, the text (line breaks and comments included) survives a reload, and a malformed block
// gets the parser's line-numbered message while the run keeps going.
// Every figure is `sdp run round-robin --config FILE --json` (the files are the constants below;
// the lesson's first step has the CLI's default load, 30 requests a second of 100 ms work).
import assert from 'node:assert/strict';
import { useApp, tid, lessonReady, waitForDataValue } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/round-robin';
const ready = (page) => lessonReady(page, 'balance-diagram');

// A comment line and a trailing comment: a one-line input would strip the line breaks and the
// first `#` would then swallow the whole block.
const NGINX = `# the app pool, as deployed
upstream app {
    zone app 64k;
    least_conn;
    server 10.0.0.1:8080 weight=3;   # the big box
    server 10.0.0.2:8080;
    server 10.0.0.3:8080 max_fails=2 fail_timeout=10s;
    server 10.0.0.9:8080 backup;
    keepalive 32;
}
`;

// HAProxy's syntax is its line breaks: one directive per line, no semicolons.
const HAPROXY = `backend app
    balance leastconn
    option httpchk GET /health
    server web1 10.0.0.1:8080 weight 30 check
    server web2 10.0.0.2:8080 weight 10 check
`;

const servedBy = (page, name) => page.locator(tid(`balance-server-${name}`)).getAttribute('data-served');

async function paste(page, text) {
  const area = page.locator(tid('param-config'));
  await area.fill(text);
  await area.blur();
}

app.test('a pasted nginx upstream block runs as nginx would, and lists what it leaves out', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&t=30000`);
  await ready(page);
  assert.equal(await page.locator(tid('param-config')).evaluate((el) => el.tagName), 'TEXTAREA');
  await paste(page, NGINX);

  // `sdp run round-robin --config nginx.conf --json`: least connections over three servers (the
  // backup is left out), 868 served: 305 / 264 / 299.
  await page.locator(tid('balance-server-10.0.0.3:8080')).waitFor();
  assert.equal(await page.locator(tid('balance-server-10.0.0.9:8080')).count(), 0, 'the backup server is not drawn');
  assert.match(await page.locator(tid('balance-strategy')).textContent(), /least connections \(from the pasted config\)/i);
  assert.equal(await waitForDataValue(page, 'metric-served', '==', 868), 868);
  assert.equal(await servedBy(page, '10.0.0.1:8080'), '305');
  assert.equal(await servedBy(page, '10.0.0.3:8080'), '299');

  // Nothing is ignored silently: zone, keepalive and the backup server each get a line.
  const notices = page.locator(`${tid('balance-notices')} li`);
  await notices.first().waitFor();
  const lines = await notices.allTextContents();
  assert.equal(lines.length, 3, lines.join('\n'));
  assert.match(lines.join('\n'), /line 3: `zone app 64k`/);
  assert.match(lines.join('\n'), /line 9: `keepalive 32`/);
  assert.match(lines.join('\n'), /line 8: server 10\.0\.0\.9:8080 is left out: backup servers are not modelled/);

  // The URL holds the block, line breaks and all, and a reload runs it again.
  await page.waitForFunction(() => location.hash.includes('config='));
  assert.ok((await page.evaluate(() => location.hash)).includes('%0A'), 'line breaks are kept in the link');
  await page.reload();
  await ready(page);
  assert.equal(await page.locator(tid('param-config')).inputValue(), NGINX);
  assert.equal(await waitForDataValue(page, 'metric-served', '==', 868), 868);
  assert.equal(await page.locator(`${tid('balance-notices')} li`).count(), 3);
});

app.test('a pasted HAProxy backend keeps its line structure: weights 30 and 10, leastconn', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&t=30000`);
  await ready(page);
  await paste(page, HAPROXY);
  // `sdp run round-robin --config haproxy.cfg --json`: web1 307, web2 280; `option httpchk` is
  // the one directive listed as not modelled.
  await page.locator(tid('balance-server-web2')).waitFor();
  assert.match(await page.locator(tid('balance-strategy')).textContent(), /least connections \(from the pasted config\)/i);
  assert.equal(await waitForDataValue(page, 'metric-served', '==', 587), 587);
  assert.equal(await servedBy(page, 'web1'), '307');
  assert.equal(await servedBy(page, 'web2'), '280');
  assert.equal(await page.locator(`${tid('balance-notices')} li`).count(), 1);
});

app.test('a malformed block gets the parser\'s line-numbered message and the run goes on', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&t=30000`);
  await ready(page);
  const before = await page.locator(tid('balance-server-A')).getAttribute('data-served');
  await paste(page, 'upstream app {\n  server a weight=x;\n}\n');
  const error = page.locator(tid('param-config-error'));
  await error.waitFor();
  assert.match(await error.textContent(), /line 2: weight `x`: expected a whole number from 1 to 1000000/);
  // The old servers still run, and the text stays for the reader to fix.
  assert.equal(await page.locator(tid('balance-server-A')).getAttribute('data-served'), before);
  assert.match(await page.locator(tid('param-config')).inputValue(), /weight=x/);
});

// Home page (#/): the lesson list and its search box.
import assert from 'node:assert/strict';
import { useApp, tid, LESSON } from './harness.mjs';

const app = useApp();
const CARD = tid('lesson-card-consistent-hashing');

app.test('home lists the consistent-hashing lesson and search filters the cards', async ({ open }) => {
  const page = await open('#/');
  const list = page.locator(tid('lesson-list'));
  await list.waitFor();
  await list.locator(CARD).waitFor();

  const search = page.locator(tid('lesson-search'));
  await search.fill('zzzz');
  await page.locator(CARD).waitFor({ state: 'hidden' });

  await search.fill('ring');
  await page.locator(CARD).waitFor({ state: 'visible' });

  await search.fill('zzzz');
  await page.locator(CARD).waitFor({ state: 'hidden' });

  await search.fill('hash');
  await page.locator(CARD).waitFor({ state: 'visible' });
});

app.test('clicking the lesson card opens the lesson', async ({ open }) => {
  const page = await open('#/');
  await page.locator(CARD).click();
  await page.locator(tid('lesson-page')).waitFor();
  assert.ok(
    new URL(page.url()).hash.startsWith(LESSON),
    `URL hash starts with ${LESSON} (got ${new URL(page.url()).hash})`,
  );
});

// Renders the web app manifest's PNG icons from the SVG sources in www/icons/ with headless
// Chromium. A maintenance tool, not part of the build: run it after changing an icon's SVG and
// commit the PNGs.
//
//   node scripts/offline/icons.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../../tests/e2e/browser.mjs';

const ICONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'www', 'icons');
const JOBS = [
  { from: 'favicon.svg', to: 'icon-192.png', size: 192 },
  { from: 'favicon.svg', to: 'icon-512.png', size: 512 },
  { from: 'icon-maskable.svg', to: 'icon-maskable-512.png', size: 512 },
  // iOS draws its own rounded corners on an opaque square: the maskable art fits it.
  { from: 'icon-maskable.svg', to: 'apple-touch-icon.png', size: 180 },
];

const browser = await launchBrowser();
try {
  for (const { from, to, size } of JOBS) {
    const svg = readFileSync(path.join(ICONS, from), 'utf8');
    const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
    const src = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
    await page.setContent(
      `<style>html,body{margin:0;background:transparent}</style><img src="${src}" width="${size}" height="${size}">`,
    );
    await page.locator('img').evaluate((img) => img.decode());
    writeFileSync(path.join(ICONS, to), await page.screenshot({ omitBackground: true, type: 'png' }));
    await page.close();
    console.log(`www/icons/${to}: ${size}×${size} from ${from}`);
  }
} finally {
  await browser.close();
}

/**
 * `npm run check:docs`: opens the API reference page (/api/v3/docs) in headless Chromium (Debian's `chromium`,
 * driven by playwright-core), checks that it renders every operation of the document with no page error, and
 * saves a screenshot (default .data/docs-page.png; `--out FILE`). Serves the page itself from the local server on a
 * free port, or checks `DOCS_URL` (e.g. http://localhost:3000/api/v3/docs) when set. Exits 1 on any failure.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// No background networking: this machine's network is closed, and the page must need nothing from outside.
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function main(): Promise<void> {
  const outArg = process.argv.indexOf('--out');
  const out = path.resolve(outArg > 0 ? process.argv[outArg + 1]! : path.join(ROOT, '.data/docs-page.png'));
  let url = process.env.DOCS_URL;
  let close = async () => undefined as void;
  if (!url) {
    // Only the docs page and the document's function are used: nothing connects to a database.
    process.env.MONGODB_URI ??= 'mongodb://127.0.0.1:9';
    process.env.STAGE ??= 'local';
    process.env.LOG_LEVEL ??= 'ERROR';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    const { createDevServer, listen } = await import('./dev-server.js');
    const server = await createDevServer();
    await listen(server, 0, '127.0.0.1');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3/docs`;
    close = async () => void server.close();
  }
  const document = JSON.parse(readFileSync(path.join(ROOT, 'docs/openapi.json'), 'utf8')) as { paths: Record<string, object> };
  const operations = Object.values(document.paths).reduce((n, item) => n + Object.keys(item).length, 0);

  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  const problems: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 2000 } });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()}`));
    page.on('request', (req) => {
      if (!req.url().startsWith(new URL(url).origin)) problems.push(`request outside the local server: ${req.url()}`);
    });
    await page.goto(url, { waitUntil: 'networkidle' });
    await page.waitForSelector('.opblock-summary', { timeout: 30_000 });
    const shown = await page.locator('.opblock').count();
    const title = (await page.locator('.info .title').innerText()).trim();
    if (shown !== operations) problems.push(`the page shows ${shown} operations, the document has ${operations}`);
    if (!title.startsWith('Ansari threads API')) problems.push(`unexpected title "${title}"`);
    // Open the streaming route: both of its content types must be listed.
    await page.locator('#operations-messages-addMessage .opblock-summary').click();
    await page.waitForSelector('#operations-messages-addMessage .responses-wrapper', { timeout: 10_000 });
    const types = await page.locator('#operations-messages-addMessage .response-control-media-type select').first().innerText();
    for (const type of ['text/plain', 'application/x-ndjson']) if (!types.includes(type)) problems.push(`addMessage does not show ${type}`);
    mkdirSync(path.dirname(out), { recursive: true });
    await page.screenshot({ path: out, fullPage: false });
    console.log(`${url}: "${title}", ${shown} operations; screenshot ${path.relative(process.cwd(), out)}`);
  } finally {
    await browser.close();
    await close();
  }
  for (const p of problems) console.log(`FAIL ${p}`);
  process.exit(problems.length ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error('check:docs failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});

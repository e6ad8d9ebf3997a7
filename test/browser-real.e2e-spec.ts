import { isbot } from 'isbot';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium } from 'playwright-core';
import type { EventView } from '../src/ingestion/message/canonical-message';
import { eventually, startTestApp, TestApp } from './support/test-app';

/**
 * A real browser on a real page: a static page on 127.0.0.1 (another origin than the API, same
 * site, like www.example.com and t.example.com) posts a pageview with fetch and credentials, which
 * exercises the CORS preflight, the credentialed response and the cookie jar for real. Debian's
 * Chromium is installed by scripts/ensure-chromium.sh; without it this test fails unless
 * SKIP_BROWSER_TESTS=1 says to skip it.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const page = (apiUrl: string, publicKey: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>Landing page</title></head>
<body>
<script>
  fetch(${JSON.stringify(`${apiUrl}/e/${publicKey}`)}, {
    method: 'POST',
    credentials: 'include',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'pageview', url: location.href, referrer: document.referrer, title: document.title }),
  })
    .then((r) => r.text().then((text) => { document.body.dataset.result = r.status + ' ' + text; }))
    .catch((e) => { document.body.dataset.result = 'error ' + e; });
</script>
</body></html>`;

const describeBrowser = process.env.SKIP_BROWSER_TESTS === '1' ? describe.skip : describe;

describeBrowser('a real browser (headless Chromium) on a page that posts a pageview', () => {
  let t: TestApp;
  let site: Server;
  let siteUrl: string;
  let userDataDir: string;
  let browser: BrowserContext;
  let source: { id: string; publicKey: string };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: run scripts/ensure-chromium.sh (or set SKIP_BROWSER_TESTS=1 to skip this test)`,
      );
    }
    t = await startTestApp();
    let html = '';
    site = createServer((req, res) => {
      if (req.url?.startsWith('/landing')) {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(html);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    // Only the page's origin may call the endpoint for this source.
    source = await t.createSource({ name: 'website', allowedOrigins: [siteUrl] });
    html = page(t.url, source.publicKey);
    userDataDir = await mkdtemp(join(tmpdir(), 'tk-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    await new Promise((resolve) => (site ? site.close(resolve) : resolve(undefined)));
    await t?.close();
  });

  const visit = async (url: string): Promise<string> => {
    const tab = await browser.newPage();
    try {
      await tab.goto(url);
      const handle = await tab.waitForFunction(() => document.body.dataset.result, undefined, {
        timeout: 20_000,
      });
      return (await handle.jsonValue()) as string;
    } finally {
      await tab.close();
    }
  };
  const storedEvents = (n: number) =>
    eventually(
      async () => {
        const items: EventView[] = (await t.admin.get(`/admin/events?sourceId=${source.id}`)).body
          .items;
        return items.length >= n ? items : null;
      },
      { what: `${n} stored events` },
    );

  it('stores the pageview, sets the tk_aid cookie, and the browser sends it back on the next visit', async () => {
    const landing = `${siteUrl}/landing?utm_source=newsletter&utm_campaign=launch&gclid=Cj0-browser`;
    expect(await visit(landing)).toBe('202 {"success":true}');

    const [first] = await storedEvents(1);
    const cookies = await browser.cookies(t.url);
    const cookie = cookies.find((c) => c.name === 'tk_aid');
    expect(cookie).toBeDefined();
    expect(cookie!.value).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(cookie!.sameSite).toBe('Lax');
    expect(cookie!.secure).toBe(false); // plain http here; Secure is set over HTTPS
    const yearFromNow = Date.now() / 1000 + 365 * 24 * 3600;
    expect(Math.abs(cookie!.expires - yearFromNow)).toBeLessThan(3600);

    const userAgent: string = first.context.userAgent as string;
    expect(userAgent).toMatch(/Chrome/);
    expect(first).toMatchObject({
      type: 'page',
      anonymousId: cookie!.value,
      properties: { url: landing, path: '/landing', title: 'Landing page' },
      context: {
        ip: '127.0.0.1',
        page: { url: landing },
        campaign: { source: 'newsletter', name: 'launch' },
        clickIds: { gclid: 'Cj0-browser' },
      },
      enrichment: {
        channel: 'pixel',
        anonymousIdSource: 'new',
        userAgent: { browser: { name: expect.stringMatching(/Chrome/) } },
      },
      // Headless Chromium says so in its user agent, and isbot counts it as a bot: stored flagged.
      bot: isbot(userAgent),
    });

    expect(await visit(`${siteUrl}/landing?second`)).toBe('202 {"success":true}');
    const items = await storedEvents(2);
    const second = items.find((e) => e.id !== first.id)!;
    expect(second.anonymousId).toBe(cookie!.value);
    expect(second.enrichment.anonymousIdSource).toBe('cookie');
  });
});

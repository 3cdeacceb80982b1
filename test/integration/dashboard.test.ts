/**
 * The dashboard in a real headless Chromium (Debian's `/usr/bin/chromium`, driven by playwright-core) against a
 * real gateway process: the page loads from the admin listener with no outside request, shows a route added to
 * the manifests within 2 s, marks an endpoint unhealthy once its EndpointSlice says it is not ready (the
 * upstream process is stopped as well), and screenshots go to `test-artifacts/`.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { ingressRouteName } from '../../src/ir/names.js';
import { Cleanups } from '../support/cleanups.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { request } from '../support/http-client.js';
import { ingress, NAMESPACE, serviceWithEndpoints, toYaml } from '../support/manifests.js';
import { startEchoUpstream, type Upstream } from '../support/upstreams.js';
import { waitUntil } from '../support/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';
const TOKEN = 'dashboard-test-token-0123456789';

function shopManifests(endpoints: readonly { host: string; port: number; ready?: boolean }[]): string {
  return toYaml([
    ...serviceWithEndpoints('shop', endpoints),
    ingress('shop', { rules: [{ host: 'shop.test', paths: [{ path: '/', service: 'shop' }] }] }),
  ]);
}

// A missing browser fails the suite rather than skipping it: CI installs Debian's chromium (`.ci/run`).
assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is not installed (apt-get install chromium)`);

describe('dashboard in headless Chromium', () => {
  const cleanups = new Cleanups();
  after(() => cleanups.run());
  let gateway: GatewayProcess;
  let first: Upstream;
  let second: Upstream;
  let context: BrowserContext;
  let page: Page;
  /** Requests the page made to anything but the admin listener: must stay empty (no CDN, works offline). */
  const foreign: string[] = [];

  before(async () => {
    first = await startEchoUpstream('shop-1');
    cleanups.after(() => first.close());
    second = await startEchoUpstream('shop-2');
    cleanups.after(() => second.close());
    gateway = await GatewayProcess.start(cleanups, {
      manifests: { 'shop.yaml': shopManifests([first, second]) },
      config: { admin: { address: '127.0.0.1:0', token: TOKEN } },
    });
    await mkdir(ARTIFACTS, { recursive: true });
    const profile = await mkdtemp(join(tmpdir(), 'tidegate-chromium-'));
    cleanups.after(() => rm(profile, { recursive: true, force: true }));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 800 },
      timeout: 20_000,
    });
    cleanups.after(() => context.close());
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
    page.on('request', (req) => {
      if (!req.url().startsWith(gateway.urls.admin)) foreign.push(req.url());
    });
  });

  test('the overview loads with live numbers, from the admin listener alone', async () => {
    // Some traffic so that the charts and the entry point table have something to show.
    for (let i = 0; i < 10; i++) await request(`${gateway.urls.web}/`, { headers: { host: 'shop.test' } });
    await page.goto(`${gateway.urls.admin}/dashboard/?token=${TOKEN}#/overview`);
    await page.waitForSelector('main[data-page="overview"] .cards');
    await page.waitForSelector('.live.good');
    await page.waitForSelector('.sparkline .uplot');
    assert.equal(
      await page.locator('#entry-points tbody tr').first().locator('td').first().textContent(),
      'web',
    );
    assert.ok(!page.url().includes('token='), 'the token is removed from the address bar');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-overview.png'), fullPage: true });
    assert.deepEqual(foreign, []);
  });

  test('a route added to the manifests shows up within 2 s', async (t) => {
    await page.goto(`${gateway.urls.admin}/dashboard/#/routers`);
    await page.waitForSelector(`tr[data-route="${ingressRouteName(NAMESPACE, 'shop', 0, 0)}"]`);
    const added = ingressRouteName(NAMESPACE, 'blog', 0, 0);
    await gateway.writeManifest(
      'blog.yaml',
      toYaml([
        ingress('blog', { rules: [{ host: 'blog.test', paths: [{ path: '/posts', service: 'shop' }] }] }),
      ]),
    );
    const started = performance.now();
    // The requirement itself: the page shows the new route within 2 s of the manifest change.
    await page.waitForSelector(`tr[data-route="${added}"]`, { timeout: 2_000 });
    const row = page.locator(`tr[data-route="${added}"]`);
    assert.equal(await row.locator('td').nth(0).textContent(), 'blog.test');
    assert.equal(await row.locator('td').nth(1).textContent(), 'Prefix /posts');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-routers.png'), fullPage: true });
    t.diagnostic(`route visible after ${Math.round(performance.now() - started)} ms`);
  });

  test('an endpoint that is killed and reported not ready is marked unhealthy', async () => {
    await page.goto(`${gateway.urls.admin}/dashboard/#/services`);
    const selector = (upstream: Upstream, health: string): string =>
      `tr[data-endpoint="${upstream.host}:${upstream.port}"][data-health="${health}"]`;
    await page.waitForSelector(selector(second, 'healthy'));
    // The backend guard's line: limits, overflows and retry-budget refusals (no breaker: no trip expression).
    await page.waitForSelector('section[data-service] .guard [data-overflows="0"]');
    assert.equal(await page.locator('section[data-service] [data-breaker]').count(), 0);
    await second.close();
    await gateway.writeManifest(
      'shop.yaml',
      shopManifests([first, { host: second.host, port: second.port, ready: false }]),
    );
    await page.waitForSelector(selector(second, 'unhealthy'));
    await page.waitForSelector(selector(first, 'healthy'));
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-services.png'), fullPage: true });
    // And the gateway agrees: the remaining endpoint serves.
    await waitUntil(
      async () => (await request(`${gateway.urls.web}/`, { headers: { host: 'shop.test' } })).status === 200,
      { timeoutMs: 5_000, what: 'the healthy endpoint to serve' },
    );
  });

  test('certificates, rejected objects and the registry pages render', async () => {
    for (const [id, text] of [
      ['certificates', 'No certificates.'],
      ['rejected', 'Every object was accepted.'],
      ['registry', 'The service registry is not enabled on this gateway.'],
    ] as const) {
      await page.goto(`${gateway.urls.admin}/dashboard/#/${id}`);
      await page.waitForSelector(`main[data-page="${id}"] >> text=${text}`);
    }
    assert.deepEqual(foreign, []);
  });
});

/**
 * Browser journeys of automated collection (采集) against an in-process server on a fresh
 * embedded database with the demo data and the demo collection set-up (seedCollection: the
 * meter simulator runs in-process on 127.0.0.1 as the default head-end):
 *  - a meter reader (collection.run, 城关) opens 采集监控, starts a collection for a route and
 *    sees the run complete with the per-route 采集成功率 (same figures as the API). (The billing
 *    checker cannot open /metering/* yet: web/src/app/App.tsx gates the module on
 *    metering.tools; see the report.)
 *  - reader opens an account and 招测 (on-demand read) shows the values and the VEE outcome;
 *    a clerk (no collection.run) has no 招测 button and no start form;
 *  - phone 375 px: the page has no horizontal scroll.
 * Screenshots: test-output/e2e/collection-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { buildUi, hasChromium, launchBrowser, login, newDesktop, newPhone, screenshot, trackErrors } from './support.js';
import { openPglite, type Db } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { seed } from '../../src/jobs/seed.js';
import { seedCollection, stopDemoSimulator } from '../../src/jobs/seed-collection.js';
import { buildServer } from '../../src/api/server.js';
import { readEnv } from '../../src/config/env.js';

describe.skipIf(!hasChromium)('collection (采集监控, 招测) in Chromium', () => {
  let db: Db;
  let app: FastifyInstance;
  let baseUrl: string;
  let browser: Browser;
  let accountId: number;

  beforeAll(async () => {
    buildUi();
    db = await openPglite(undefined);
    await migrate(db);
    await seed(db, { accounts: 300, months: 0, seed: 1 });
    // demo head-end: the in-process simulator, no injected faults so the figures are stable
    await seedCollection(db, { simulator: { enabled: true, seed: 1, faults: {} }, alignInstallReadings: true });
    app = await buildServer({ db, env: { ...readEnv({}), logLevel: 'silent' } }, { logger: false });
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
    const a = await db.kysely.selectFrom('accounts as a').innerJoin('org_units as o', 'o.id', 'a.org_unit_id').innerJoin('meter_installations as mi', 'mi.account_id', 'a.id')
      .select('a.id').where('o.code', '=', 'ST01').where('a.status', '=', 'active').where('mi.removed_on', 'is', null).orderBy('a.id').executeTakeFirstOrThrow();
    accountId = Number(a.id);
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await stopDemoSimulator();
    await db?.close();
  });

  it('a reader starts a collection for a route and sees the per-route success rate', async () => {
    const ctx = await newDesktop(browser, baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    await login(page, 'reader');
    await page.goto('/metering/collection');
    await page.getByTestId('collection-start').waitFor();
    await page.getByTestId('collection-routes').click();
    await page.keyboard.type('RST010001');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Escape');
    await page.getByTestId('collection-submit').click();
    const status = page.getByTestId('run-status');
    await expect.poll(async () => status.textContent(), { timeout: 90_000, interval: 500 }).toBe('已完成');
    // the per-route rate row agrees with the API
    const runs = await (await page.request.get('/api/v1/collection/runs')).json();
    const run = runs.items[0];
    expect(run).toMatchObject({ status: 'completed', kind: 'scheduled' });
    const stats = await (await page.request.get(`/api/v1/collection/runs/${run.id}`)).json();
    expect(stats.routes).toHaveLength(1);
    expect(stats.routes[0].code).toBe('RST010001');
    expect(stats.routes[0].meters).toBeGreaterThan(0);
    const row = page.locator('[data-testid="route-rate"][data-route="RST010001"]');
    await expect.poll(async () => row.textContent(), { timeout: 30_000 }).toContain(`${stats.routes[0].successRate}%`);
    await expect.poll(async () => page.getByTestId('run-rate').textContent()).toContain(String(stats.totals.successRate));
    await screenshot(page, 'collection-run');
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('招测 from the account view shows the values read and the VEE outcome; a clerk has no button', async () => {
    const ctx = await newDesktop(browser, baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    await login(page, 'reader');
    await page.goto(`/archive/accounts/${accountId}`);
    await page.getByTestId('account-meters').waitFor();
    await page.getByTestId('on-demand-read').first().click();
    const status = page.getByTestId('on-demand-status');
    await status.waitFor({ timeout: 60_000 });
    expect(await status.textContent()).toContain('召测成功');
    const total = await page.getByTestId('odr-value-TOTAL').textContent();
    expect(total).toMatch(/^\d+\.\d{2}$/);
    // install readings aligned with the simulated meters: the reading passes validation
    const vee = await page.getByTestId('odr-vee').first().textContent();
    expect(vee).toBe('通过');
    // the same value is stored as a headend reading
    const hist = await (await page.request.get(`/api/v1/accounts/${accountId}/readings?register=TOTAL`)).json();
    expect(hist.items[0]).toMatchObject({ source: 'headend', value: expect.stringMatching(new RegExp(`^${total!.replace('.', '\\.')}0*$`)) });
    await screenshot(page, 'collection-on-demand');
    expect(errors).toEqual([]);
    await ctx.close();

    const c2 = await newDesktop(browser, baseUrl);
    const p2 = await c2.newPage();
    await login(p2, 'clerk');
    await p2.goto(`/archive/accounts/${accountId}`);
    await p2.getByTestId('account-meters').waitFor();
    expect(await p2.getByTestId('on-demand-read').count()).toBe(0);
    await c2.close();
  });

  it('phone 375 px: the collection page has no horizontal scroll', async () => {
    const ctx = await newPhone(browser, baseUrl);
    const page = await ctx.newPage();
    await login(page, 'reader');
    await page.goto('/metering/collection');
    await page.getByTestId('collection-detail').waitFor();
    await page.waitForTimeout(500);
    const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
    expect(width).toBeLessThanOrEqual(375);
    await screenshot(page, 'collection-phone');
    await ctx.close();
  });
});

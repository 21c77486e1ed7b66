/**
 * Browser journeys of the tariff module (电价目录 / 电费试算) on a real `voltline serve` with demo data:
 *  - clerk opens 电费试算 from the menu, picks a residential account (户号) of the station, enters
 *    the R-2 usage (prevCum 2600, 峰 200, 谷 150) and sees the bill lines and the total 166.30;
 *    negative kWh shows the API's error naming the field; quote by tariff for a 大工业 I-1 usage;
 *  - admin imports JSON (a bad item saves nothing), exports, opens a tariff version (TOU bars, components), creates a new version from it and
 *    compares the two side by side with the changes highlighted; English switch.
 * Screenshots: test-output/e2e/tariffs-*.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Browser } from 'playwright-core';
import { buildUi, hasChromium, launchBrowser, login, newDesktop, repoRoot, screenshot, startServer, trackErrors, type TestServer } from './support.js';

/** Pick an option of an antd Select by typing (options are virtualised in a portal). */
async function selectByTyping(page: Page, testId: string, text: string, optionText = text): Promise<void> {
  await page.getByTestId(testId).click();
  await page.keyboard.type(text);
  const option = page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: optionText }).first();
  await option.waitFor();
  await option.click();
}

describe.skipIf(!hasChromium)('tariff module in Chromium', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    buildUi();
    server = await startServer();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('clerk: 电费试算 for an account (R-2 → ¥166.30), a bad usage, and a 大工业 quote by tariff (I-1A → ¥140,135.72)', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'clerk');
      const res = await page.request.get('/api/v1/accounts?customerClass=residential&pageSize=50');
      expect(res.ok()).toBe(true);
      const items = ((await res.json()) as { items: Array<{ id: number; accountNo: string; tariffCode: string }> }).items;
      // a household below the multi-person threshold, so R-2's thresholds apply unchanged
      let acct: { id: number; accountNo: string; tariffCode: string } | undefined;
      for (const a of items) {
        const v = (await (await page.request.get(`/api/v1/accounts/${a.id}`)).json()) as { account: { householdSize: number; sharedMeter: boolean } };
        if (v.account.householdSize < 5 && !v.account.sharedMeter) {
          acct = a;
          break;
        }
      }
      expect(acct, 'a residential account of the clerk’s station').toBeDefined();
      expect(acct!.tariffCode).toBe('ZJ-RES-1H1B-LT1KV');

      const menu = page.getByTestId('side-menu');
      await menu.getByText('电费试算').click();
      await page.waitForURL('**/tariffs/quote');
      await page.getByTestId('quote-form').waitFor();
      await selectByTyping(page, 'quote-account', acct!.accountNo);
      await expect.poll(() => page.getByTestId('quote-account-info').textContent()).toContain('ZJ-RES-1H1B-LT1KV');
      // the tariff is TOU with an annual ladder: period inputs and the ladder-year input appear
      await page.getByTestId('quote-tou-PEAK').waitFor();
      await page.getByTestId('quote-period-start').fill('2024-07-01');
      await page.getByTestId('quote-period-end').fill('2024-07-31');
      await page.getByTestId('quote-tou-PEAK').fill('200');
      await page.getByTestId('quote-tou-VALLEY').fill('150');
      await page.getByTestId('quote-ladder-prev').fill('2600');
      await page.getByTestId('quote-run').click();
      await page.getByTestId('quote-result').waitFor();
      await expect.poll(() => page.getByTestId('quote-total-cell').textContent()).toBe('¥166.30');
      const codes = await page.getByTestId('quote-line-code').allTextContents();
      expect(codes).toEqual(['ENERGY_PEAK', 'ENERGY_VALLEY', 'LADDER_T2_SURCHARGE', 'LADDER_T3_SURCHARGE']);
      expect(await page.getByTestId('quote-line-amount').allTextContents()).toEqual(['¥113.60', '¥43.20', '¥9.50', '¥0.00']);
      const names = await page.getByTestId('quote-line-name').allTextContents();
      expect(names[2]).toContain('第二档加价电费');
      expect(names[2]).toContain('domain-cn §1.4 ladder tier 2 surcharge');
      expect(await page.getByTestId('quote-from-account').textContent()).toContain('householdSize');
      await screenshot(page, 'tariffs-01-clerk-quote-account');

      // negative kWh: the API's message names the field
      await page.getByTestId('quote-tou-VALLEY').fill('-5');
      await page.getByTestId('quote-run').click();
      await expect.poll(() => page.getByTestId('quote-error').textContent()).toContain('usage.tou.VALLEY');
      await screenshot(page, 'tariffs-02-clerk-quote-bad-usage');

      // quote by tariff: 大工业 two-part TOU with PF adjustment (domain-cn I-1 variant A)
      await page.getByTestId('quote-by-tariff').click();
      await selectByTyping(page, 'quote-tariff', 'ZJ-LI-10KV-TOU-A');
      await page.getByTestId('quote-tou-SHARP').waitFor();
      await page.getByTestId('quote-tou-SHARP').fill('20000');
      await page.getByTestId('quote-tou-PEAK').fill('60000');
      await page.getByTestId('quote-tou-VALLEY').fill('120000');
      await page.getByTestId('quote-max-demand').fill('650');
      await page.getByTestId('quote-reactive').fill('120000');
      await page.getByLabel('容量(kVA)').fill('1000');
      await page.getByLabel('合同最大需量(kW)').fill('600');
      await page.getByTestId('quote-run').click();
      await expect.poll(() => page.getByTestId('quote-total-cell').textContent()).toBe('¥140,135.72');
      expect(await page.getByTestId('quote-line-code').allTextContents()).toEqual(
        expect.arrayContaining(['ENERGY_SHARP', 'BASIC_DEMAND', 'BASIC_DEMAND_OVERRUN', 'PF_ADJUSTMENT']),
      );
      await screenshot(page, 'tariffs-03-clerk-quote-large-industrial');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('admin: import JSON (all or nothing), export, open a version, create a new version from it, compare the two; English', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'admin');
      await page.getByTestId('side-menu').getByText('电价目录').click();
      await page.waitForURL('**/tariffs');
      await page.getByTestId('tariff-link').first().waitFor();
      expect(await page.getByTestId('tariff-link').count()).toBeGreaterThanOrEqual(7);
      await screenshot(page, 'tariffs-04-admin-catalogue');

      // import JSON: all or nothing — one bad item saves nothing and the error names item and field
      const base = JSON.parse(fs.readFileSync(path.join(repoRoot, 'tariffs', 'agriculture-flat.json'), 'utf8'));
      const good = { ...base, code: 'E2E-AGRI' };
      const bad = { ...base, code: 'E2E-AGRI-BAD', energyComponents: [{ ...base.energyComponents[0], price: '-0.1' }] };
      await page.getByTestId('tariff-import-open').click();
      await page.getByTestId('tariff-import-text').fill(JSON.stringify([good, bad]));
      await page.getByTestId('tariff-import-run').click();
      await expect.poll(() => page.getByTestId('tariff-import-error').textContent()).toContain('1.energyComponents.0.price');
      await screenshot(page, 'tariffs-04b-admin-import-error');
      const listed = await page.request.get('/api/v1/tariffs?code=E2E-AGRI');
      expect(((await listed.json()) as { items: unknown[] }).items).toHaveLength(0);
      await page.getByTestId('tariff-import-text').fill(JSON.stringify([good]));
      await page.getByTestId('tariff-import-run').click();
      await expect.poll(() => page.getByTestId('tariff-import-result').textContent()).toContain('新增 1 个');
      await page.keyboard.press('Escape');
      await expect.poll(() => page.getByTestId('tariff-link').filter({ hasText: 'E2E-AGRI' }).count()).toBe(1);
      // export all downloads a JSON array
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('tariff-export-all').click()]);
      const exported = JSON.parse(fs.readFileSync((await download.path())!, 'utf8')) as Array<{ code: string }>;
      expect(exported.map((d) => d.code)).toContain('E2E-AGRI');

      await page.getByTestId('tariff-link').filter({ hasText: 'ZJ-LI-10KV-TOU-B' }).click();
      await page.getByTestId('tariff-view').waitFor();
      expect(await page.getByTestId('tariff-view-title').textContent()).toContain('ZJ-LI-10KV-TOU-B');
      // two seasons → two 24-hour bars; the policy warning (尖/峰 < 1.2) is shown
      await expect.poll(() => page.getByTestId('tou-bar').count()).toBe(2);
      expect(await page.locator('[data-testid="tou-bar"] [data-period="SHARP"]').count()).toBeGreaterThan(0);
      expect(await page.getByTestId('tariff-view-warnings').textContent()).toContain('critical/peak');
      expect(await page.getByTestId('tariff-components').textContent()).toContain('TRANSMISSION');
      expect(await page.getByTestId('tariff-basic').textContent()).toContain('32');
      await screenshot(page, 'tariffs-05-admin-version-view');

      // new version from this one: new transmission price and demand price from 2025-01-01
      await page.getByTestId('tariff-new-version').click();
      await page.getByTestId('tariff-new-version-drawer').waitFor();
      await page.getByTestId('nv-effective-from').fill('2025-01-01');
      await page.getByTestId('nv-price-TRANSMISSION').fill('0.160000');
      await page.getByTestId('nv-demand-price').fill('33');
      await screenshot(page, 'tariffs-06-admin-new-version-form');
      await page.getByTestId('tariff-new-version-save').click();
      await expect.poll(() => page.getByTestId('tariff-view-title').textContent()).toContain('2025-01');
      const tags = await page.getByTestId('tariff-version-tag').allTextContents();
      expect(tags.join(' ')).toContain('2024-03 (2024-03-01 – 2025-01-01)');

      // compare with the old version
      await page.getByTestId('tariff-compare-with').click();
      await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '2024-03' }).first().click();
      await page.waitForURL(/\/tariffs\/compare\?a=\d+&b=\d+/);
      await page.getByTestId('compare-changes').waitFor();
      const paths = await page.getByTestId('compare-change-path').allTextContents();
      expect(paths).toEqual(expect.arrayContaining(['energyComponents.TRANSMISSION.price', 'basicCharge.demandPrice', 'periodPrices.PEAK', 'effectiveFrom']));
      expect(await page.getByTestId('compare-side-a').textContent()).toContain('2024-03');
      expect(await page.getByTestId('compare-side-b').textContent()).toContain('2025-01');
      await screenshot(page, 'tariffs-07-admin-compare');

      // English
      await page.getByTestId('lang-switch').click();
      await expect.poll(() => page.getByTestId('compare-changes').textContent()).toContain('differences');
      await screenshot(page, 'tariffs-08-admin-compare-en');
      await page.getByTestId('lang-switch').click();
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});

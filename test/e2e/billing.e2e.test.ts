/**
 * Browser journey of the billing checker (核算员) on a real `voltline serve` (demo data, 24 months
 * of readings): 核算任务 — a 试算 run for last period on the smallest 城关 route (progress until
 * 待审核, a bill's lines in the drawer); then the real run for the same scope: approve-clean,
 * issue, and the issued bill on the account's 账单 tab; phone 375 px without horizontal scroll.
 * Screenshots: test-output/e2e/billing-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildUi, hasChromium, launchBrowser, login, newDesktop, newPhone, PASSWORD, screenshot, startServer, trackErrors, type TestServer } from './support.js';

/** Previous month of the current billing period (Asia/Shanghai), the form's default. */
const lastPeriod = () => {
  const now = new Date(Date.now() + 8 * 3_600_000);
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  return m === 0 ? `${y - 1}-12` : `${y}-${String(m).padStart(2, '0')}`;
};

describe.skipIf(!hasChromium)('billing runs (核算任务) in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let cookie = '';
  let route: { id: number; code: string; name: string; accountCount: number };

  async function apiGet(url: string): Promise<any> {
    if (!cookie) {
      const r = await fetch(`${server.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'checker', password: PASSWORD }) });
      expect(r.status).toBe(200);
      cookie = String(r.headers.get('set-cookie')).split(';')[0];
    }
    const r = await fetch(`${server.baseUrl}/api/v1${url}`, { headers: { cookie } });
    const json = await r.json();
    if (!r.ok) throw new Error(`GET ${url} -> ${r.status} ${JSON.stringify(json)}`);
    return json;
  }

  const noHorizontalScroll = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');

  async function startRun(page: Page, trial: boolean): Promise<number> {
    await page.goto('/billing/runs');
    await page.getByTestId('billing-new-run').waitFor();
    expect(await page.locator('#period').inputValue()).toBe(lastPeriod());
    await page.locator('#routeIds').fill(route.code);
    await page.locator('.ant-select-item-option', { hasText: route.code }).first().click();
    const sw = page.locator('#trial');
    if ((await sw.getAttribute('aria-checked')) !== String(trial)) await sw.click();
    await page.getByTestId('billing-create').click();
    await page.waitForURL(/\/billing\/runs\/\d+$/);
    const id = Number(page.url().split('/').pop());
    await page.getByTestId('run-progress').waitFor();
    await expect.poll(async () => (await page.getByTestId('run-status').textContent()) ?? '', { timeout: 240_000, interval: 1000 }).toContain('待审核');
    return id;
  }

  beforeAll(async () => {
    buildUi();
    server = await startServer();
    browser = await launchBrowser();
    const list = await apiGet('/metering/routes');
    const cg = list.items.filter((r: any) => r.orgUnit.name === '城关供电所' && r.accountCount > 0).sort((a: any, b: any) => a.accountCount - b.accountCount);
    route = cg[0];
    expect(route).toBeTruthy();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('trial run, then real run: approve-clean, issue, bill on the account', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'checker');
      const menu = page.getByTestId('side-menu');
      if (!(await menu.getByText('核算任务').isVisible())) await menu.getByText('电费核算').click();
      await menu.getByText('核算任务').click();
      await page.waitForURL('**/billing/runs');

      // 试算
      const trialId = await startRun(page, true);
      const trial = await apiGet(`/billing/runs/${trialId}`);
      expect(trial.run.trial).toBe(true);
      expect(trial.progress.accountsDone).toBe(trial.progress.accountsTotal);
      expect(trial.run.bills).toBeGreaterThan(0);
      await expect.poll(() => page.getByTestId('run-progress').textContent()).toContain(`${trial.progress.accountsTotal} / ${trial.progress.accountsTotal}`);
      await expect(page.getByTestId('run-approve-clean').count()).resolves.toBe(0); // trial: no approve/issue
      const bills = (await apiGet(`/billing/runs/${trialId}/bills?pageSize=100`)).items;
      const rated = bills.find((b: any) => !b.exceptionCode && Number(b.amountTotal) > 0);
      expect(rated).toBeTruthy();
      const row = page.locator('tr.ant-table-row', { hasText: rated.accountNo });
      await row.getByTestId('bill-open').click();
      await page.getByTestId('bill-detail').waitFor();
      const detail = await apiGet(`/bills/${rated.id}`);
      expect(detail.lines.length).toBeGreaterThan(0);
      await expect.poll(() => page.getByTestId('bill-lines').locator('tbody tr.ant-table-row').count()).toBe(detail.lines.length);
      expect(await page.getByTestId('bill-total').textContent()).toContain(Number(rated.amountTotal).toFixed(2));
      await screenshot(page, 'billing-01-trial-bill');
      await page.keyboard.press('Escape');

      // real run, same scope
      const realId = await startRun(page, false);
      expect(realId).not.toBe(trialId);
      const before = await apiGet(`/billing/runs/${realId}`);
      const clean = before.statusCounts.calculated ?? 0;
      expect(clean).toBeGreaterThan(0);
      await page.getByTestId('run-approve-clean').click();
      await page.locator('.ant-modal-confirm-title', { hasText: `将通过 ${clean} 张无标记账单，确定？` }).waitFor();
      await page.locator('.ant-modal-confirm-btns .ant-btn-primary').last().click();
      await expect.poll(async () => (await apiGet(`/billing/runs/${realId}`)).statusCounts.approved ?? 0).toBe(clean);
      await page.getByTestId('run-issue').filter({ hasText: `(${clean})` }).click();
      await page.locator('.ant-modal-confirm-title', { hasText: `（${clean} 张）` }).waitFor();
      await page.locator('.ant-modal-confirm-btns .ant-btn-primary').last().click();
      await expect.poll(async () => (await apiGet(`/billing/runs/${realId}`)).statusCounts.issued ?? 0, { timeout: 60_000 }).toBe(clean);
      await screenshot(page, 'billing-02-issued');

      // the account's 账单 tab
      const issued = (await apiGet(`/billing/runs/${realId}/bills?status=issued&pageSize=1`)).items[0];
      expect(issued.dueDate).toBeTruthy();
      await page.goto(`/archive/accounts/${issued.accountId}`);
      await page.getByRole('tab', { name: '账单' }).click();
      const acctRow = page.getByTestId('account-bills').locator('tr.ant-table-row', { hasText: issued.period });
      await acctRow.waitFor();
      expect(await acctRow.textContent()).toContain('已发行');
      expect(await acctRow.textContent()).toContain(Number(issued.amountTotal).toFixed(2));
      await screenshot(page, 'billing-03-account-bills');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 600_000);

  it('phone 375 px: runs page and run page without horizontal scroll', async () => {
    const ctx = await newPhone(browser, server.baseUrl);
    const page = await ctx.newPage();
    try {
      await login(page, 'checker');
      await page.goto('/billing/runs');
      await page.getByTestId('billing-runs').locator('.ant-list-item').first().waitFor();
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'billing-04-phone-runs');
      await page.getByTestId('billing-runs').locator('.ant-list-item a').first().click();
      await page.getByTestId('run-bills').waitFor();
      await page.waitForTimeout(500);
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'billing-05-phone-run');
    } finally {
      await ctx.close();
    }
  }, 300_000);
});

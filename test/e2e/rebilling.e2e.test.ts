/**
 * Browser journey 核算员 2 (user-journeys.md): "Correct a wrong multiplier found last month: create
 * an adjustment; see the diff bill." On a real `voltline serve` (demo data): last period is billed
 * and issued for the smallest 城关 route (API setup); the checker opens the account's 账单 tab, the
 * bill drawer, 退补, picks 倍率差错, enters the correct multiplier, sees the per-line diff
 * (charged, corrected, difference) and submits; above the two-person threshold the checker's own
 * approval is refused; the admin approves in 退补管理 and posts; the ledger shows the adjustment.
 * Phone 375 px: 退补管理 and the adjustment without horizontal scroll.
 * Screenshots: test-output/e2e/rebilling-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildUi, hasChromium, launchBrowser, login, newDesktop, newPhone, PASSWORD, screenshot, startServer, trackErrors, type TestServer } from './support.js';

const lastPeriod = () => {
  const now = new Date(Date.now() + 8 * 3_600_000);
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  return m === 0 ? `${y - 1}-12` : `${y}-${String(m).padStart(2, '0')}`;
};
const yuan = (s: string) => Number(s).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

describe.skipIf(!hasChromium)('rebilling (退补) in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const cookies: Record<string, string> = {};
  let bill: any;
  let correct = '';
  let adjustmentId = 0;

  async function api(user: string, method: string, url: string, body?: unknown): Promise<any> {
    if (!cookies[user]) {
      const r = await fetch(`${server.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: PASSWORD }) });
      expect(r.status).toBe(200);
      cookies[user] = String(r.headers.get('set-cookie')).split(';')[0];
    }
    const r = await fetch(`${server.baseUrl}/api/v1${url}`, { method, headers: { cookie: cookies[user], ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await r.json();
    if (!r.ok) throw new Error(`${method} ${url} -> ${r.status} ${JSON.stringify(json)}`);
    return json;
  }
  const noHorizontalScroll = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');

  beforeAll(async () => {
    buildUi();
    server = await startServer();
    browser = await launchBrowser();
    // setup through the API: bill and issue last period for the smallest 城关 route
    const routes = (await api('checker', 'GET', '/metering/routes')).items.filter((r: any) => r.orgUnit.name === '城关供电所' && r.accountCount > 0).sort((a: any, b: any) => a.accountCount - b.accountCount);
    const { run } = await api('checker', 'POST', '/billing/runs', { period: lastPeriod(), routeIds: [routes[0].id] });
    for (const deadline = Date.now() + 300_000; ; ) {
      const st = (await api('checker', 'GET', `/billing/runs/${run.id}`)).run.status;
      if (st === 'review') break;
      if (Date.now() > deadline || st === 'failed' || st === 'cancelled') throw new Error(`billing run ${run.id} is ${st}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await api('checker', 'POST', `/billing/runs/${run.id}/approve-clean`);
    await api('checker', 'POST', `/billing/runs/${run.id}/issue`, {});
    const issued = (await api('checker', 'GET', `/billing/runs/${run.id}/bills?status=issued&pageSize=100`)).items.filter((b: any) => Number(b.amountTotal) > 0);
    expect(issued.length).toBeGreaterThan(0);
    bill = await api('checker', 'GET', `/bills/${issued.sort((a: any, b: any) => Number(b.amountTotal) - Number(a.amountTotal))[0].id}`);
    // a multiplier large enough that the difference passes the 1,000.00 元 two-person threshold
    const billed = Number(bill.readings[0].multiplier);
    correct = String(billed * (Math.ceil(2000 / Number(bill.amountTotal)) + 1));
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('checker: bill → 退补 → 倍率差错 → diff → submit; own approval refused; admin approves and posts', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'checker');
      await page.goto(`/archive/accounts/${bill.accountId}`);
      await page.getByRole('tab', { name: '账单' }).click();
      await page.getByTestId('account-bills').locator('tr.ant-table-row', { hasText: bill.period }).locator('a').first().click();
      await page.getByTestId('bill-detail').waitFor();
      await page.getByTestId('bill-rebill').click();
      const drawer = page.getByTestId('adj-create');
      await drawer.getByTestId('adj-reason').waitFor();
      // error type: 倍率差错 (antd Select: open, click the option, check the value)
      await drawer.locator('.ant-form-item', { hasText: '差错类型' }).locator('.ant-select').click();
      await page.locator('.ant-select-item-option', { hasText: '倍率差错' }).click();
      await expect.poll(() => drawer.locator('.ant-form-item', { hasText: '差错类型' }).locator('.ant-select-content, .ant-select-selection-item').first().textContent()).toContain('倍率差错');
      await drawer.getByTestId('adj-reason').fill('倍率差错：互感器变比录入错误');
      expect(Number(await drawer.getByTestId('adj-billed-mult').inputValue())).toBe(Number(bill.readings[0].multiplier));
      await drawer.getByTestId('adj-correct-mult').fill(correct);
      await drawer.getByTestId('adj-preview').click();
      await page.locator('[data-testid=adj-preview-result], [data-testid=adj-error], .ant-form-item-explain-error').first().waitFor();
      if (!(await drawer.getByTestId('adj-preview-result').isVisible())) {
        await screenshot(page, 'rebilling-00-preview-failed');
        throw new Error(`preview failed: ${await drawer.textContent()}`);
      }

      // the same preview through the API: the page shows its lines and total
      const pv = await api('checker', 'POST', '/billing/adjustments/preview', { accountId: bill.accountId, periods: [bill.period], reasonCategory: 'multiplier_error', reason: 'x', corrections: { multiplier: { correct, billed: bill.readings[0].multiplier } } });
      expect(pv.requiresSecondApproval).toBe(true);
      expect(pv.originalTotal).toBe(bill.amountTotal);
      await expect.poll(() => drawer.getByTestId('adj-diff').locator('tbody tr.ant-table-row').count()).toBe(pv.lines.length);
      expect(await drawer.getByTestId('adj-total').textContent()).toContain(yuan(pv.amountTotal));
      const first = pv.lines.find((l: any) => l.direction === 'debit');
      expect(await drawer.getByTestId(`adj-diff-${first.code}`).first().textContent()).toContain(yuan(first.difference));
      expect(await drawer.textContent()).toContain('须由另一人审批');
      await screenshot(page, 'rebilling-01-diff');

      await drawer.getByTestId('adj-save-submit').click();
      const detail = page.getByTestId('adj-detail');
      await detail.waitFor();
      await expect.poll(() => detail.getByTestId('adj-status').textContent()).toBe('待审批');
      const mine = (await api('checker', 'GET', `/billing/adjustments?accountId=${bill.accountId}`)).items;
      expect(mine).toHaveLength(1);
      adjustmentId = mine[0].id;
      expect(mine[0]).toMatchObject({ status: 'submitted', amountTotal: pv.amountTotal, createdByName: 'checker' });
      // two-person rule: the creator's approval is refused
      await detail.getByTestId('adj-approve').click();
      await page.getByTestId('adj-detail-error').waitFor();
      expect(await page.getByTestId('adj-detail-error').textContent()).toMatch(/two-person/);
      expect((await api('checker', 'GET', `/billing/adjustments/${adjustmentId}`)).status).toBe('submitted');
      await screenshot(page, 'rebilling-02-submitted');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }

    // the admin approves and posts in 退补管理
    const ctx2 = await newDesktop(browser, server.baseUrl);
    const page2 = await ctx2.newPage();
    const errors2 = trackErrors(page2);
    try {
      await login(page2, 'admin');
      const menu = page2.getByTestId('side-menu');
      if (!(await menu.getByText('退补管理').isVisible())) await menu.getByText('电费核算').click();
      await menu.getByText('退补管理').click();
      await page2.waitForURL('**/billing/adjustments');
      await page2.getByTestId(`adj-row-${adjustmentId}`).click();
      const detail = page2.getByTestId('adj-detail');
      await detail.waitFor();
      expect(await detail.getByTestId('adj-diff').locator('tbody tr.ant-table-row').count()).toBeGreaterThan(0);
      // a click lost while the drawer settles is clicked again (the button is gone once approved,
      // and ignores clicks while its request runs, so it never approves twice)
      for (let attempt = 1; ; attempt++) {
        if (await detail.getByTestId('adj-approve').isVisible()) await detail.getByTestId('adj-approve').click();
        try {
          await expect.poll(() => detail.getByTestId('adj-status').textContent(), { timeout: 8_000 }).toBe('已审批');
          break;
        } catch (e) {
          if (attempt >= 3) throw e;
        }
      }
      await detail.getByTestId('adj-post').click();
      await expect.poll(() => detail.getByTestId('adj-status').textContent()).toBe('已过账');
      const a = await api('admin', 'GET', `/billing/adjustments/${adjustmentId}`);
      expect(a).toMatchObject({ status: 'posted', approvedByName: 'admin' });
      expect(a.ledgerEntryId).toBeGreaterThan(0);
      const ledger = await api('admin', 'GET', `/payments/accounts/${bill.accountNo}/ledger`);
      expect(ledger.entries.filter((e: any) => e.kind === 'adjustment').map((e: any) => e.amount)).toEqual([a.amountTotal]);
      // the issued bill is unchanged
      const after = await api('admin', 'GET', `/bills/${bill.id}`);
      expect([after.status, after.amountTotal, after.lines]).toEqual([bill.status, bill.amountTotal, bill.lines]);
      await screenshot(page2, 'rebilling-03-posted');
      expect(errors2).toEqual([]);
    } finally {
      await ctx2.close();
    }
  }, 600_000);

  it('phone 375 px: 退补管理 and the adjustment without horizontal scroll', async () => {
    const ctx = await newPhone(browser, server.baseUrl);
    const page = await ctx.newPage();
    try {
      await login(page, 'checker');
      await page.goto('/billing/adjustments');
      await page.getByTestId(`adj-row-${adjustmentId}`).waitFor();
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'rebilling-04-phone-list');
      await page.getByTestId(`adj-row-${adjustmentId}`).click();
      await page.getByTestId('adj-detail').waitFor();
      await expect.poll(() => page.getByTestId('adj-detail').getByTestId('adj-status').textContent()).toBe('已过账');
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'rebilling-05-phone-detail');
    } finally {
      await ctx.close();
    }
  }, 300_000);
});

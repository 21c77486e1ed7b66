/**
 * Browser journey of the customer (客户 #1/#2, portal on a phone) on a real `voltline serve` (demo
 * data, 24 months of readings). Setup through the API as the billing checker: bills of the two
 * previous periods for the customer's account are run, approved and issued (the older one issued
 * 40 days ago, so it is overdue with a late fee). Then, 375 px wide: the customer logs in, opens
 * 客户自助 from the home page, sees the amount due (equal to the API's), opens the latest bill
 * (lines, readings, usage chart; the bill PDF link answers application/pdf when that endpoint
 * exists), pays the amount due through the simulated online channel (double click on 支付 —
 * posted once), sees the receipt and downloads it; the amount due is then ¥0.00. No horizontal
 * scroll on any page. Desktop: the same portal with the payment in 缴费记录.
 * Screenshots: test-output/e2e/portal-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildUi, hasChromium, launchBrowser, login, newDesktop, newPhone, PASSWORD, screenshot, startServer, trackErrors, type TestServer } from './support.js';

const shanghaiToday = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
const monthsAgo = (n: number) => {
  const [y, m] = shanghaiToday().slice(0, 7).split('-').map(Number);
  const i = y * 12 + (m - 1) - n;
  return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;
};
const daysAgo = (n: number) => new Date(Date.parse(shanghaiToday()) - n * 86_400_000).toISOString().slice(0, 10);
/** "¥1,234.50" as the UI shows it (formatMoney). */
const yuan = (s: string) => {
  const [i, f = ''] = s.split('.');
  return `¥${i.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${(f + '00').slice(0, 2)}`;
};

describe.skipIf(!hasChromium)('customer portal (客户自助) in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const cookies = new Map<string, string>();
  let accountId = 0;
  let billIds: number[] = [];

  async function api(user: string, method: string, url: string, body?: unknown): Promise<any> {
    if (!cookies.has(user)) {
      const r = await fetch(`${server.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: PASSWORD }) });
      expect(r.status, `login ${user}`).toBe(200);
      cookies.set(user, String(r.headers.get('set-cookie')).split(';')[0]);
    }
    const r = await fetch(`${server.baseUrl}/api/v1${url}`, {
      method, headers: { cookie: cookies.get(user)!, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await r.json().catch(() => null);
    if (!r.ok) throw new Error(`${method} ${url} -> ${r.status} ${JSON.stringify(json)}`);
    return json;
  }

  /** A real billing run for the customer's account and period: approve every bill and issue. */
  async function billPeriod(period: string, issueDate?: string): Promise<number> {
    const created = await api('checker', 'POST', '/billing/runs', { period, accountIds: [accountId] });
    const runId = created.run.id;
    let status = '';
    for (let i = 0; i < 600 && !['review', 'completed', 'failed', 'cancelled'].includes(status); i++) {
      status = (await api('checker', 'GET', `/billing/runs/${runId}`)).run.status;
      if (!['review', 'completed', 'failed', 'cancelled'].includes(status)) await new Promise((r) => setTimeout(r, 500));
    }
    expect(status, `run ${runId} for ${period}`).toBe('review');
    const bills = (await api('checker', 'GET', `/billing/runs/${runId}/bills?pageSize=10`)).items;
    expect(bills.length, `bills of ${period}`).toBe(1);
    expect(bills[0].exceptionCode, `exception of ${period}`).toBeNull();
    if (bills[0].status !== 'approved') await api('checker', 'POST', `/bills/${bills[0].id}/approve`, { reason: 'e2e portal' });
    await api('checker', 'POST', `/billing/runs/${runId}/issue`, issueDate ? { issueDate } : {});
    const b = await api('checker', 'GET', `/bills/${bills[0].id}`);
    expect(b.status).toBe('issued');
    return b.id;
  }

  const noHorizontalScroll = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');

  beforeAll(async () => {
    buildUi();
    server = await startServer();
    browser = await launchBrowser();
    const me = await api('customer', 'GET', '/auth/me');
    accountId = (me.user ?? me).accountIds[0];
    expect(accountId).toBeGreaterThan(0);
    billIds = [await billPeriod(monthsAgo(2), daysAgo(40)), await billPeriod(monthsAgo(1))];
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('phone 375 px: amount due, a bill with lines and chart, pay (double click posts once), receipt, no horizontal scroll', async () => {
    const ctx = await newPhone(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'customer');
      await page.getByTestId('shortcut-/portal').click();
      await page.waitForURL('**/portal');
      const before = (await api('customer', 'GET', '/portal/accounts')).items[0];
      expect(before.id).toBe(accountId);
      expect(Number(before.amountDue)).toBeGreaterThan(0);
      expect(before.overdue).toBe(true);
      expect(Number(before.lateFee)).toBeGreaterThan(0);
      await expect.poll(() => page.getByTestId('portal-amount-due').textContent()).toBe(yuan(before.amountDue));
      expect(await page.getByTestId('portal-late-fee').textContent()).toBe(yuan(before.lateFee));
      expect(await page.getByTestId('portal-overdue').textContent()).toContain(String(before.overdueDays));
      await expect.poll(() => page.getByTestId('portal-bill').count()).toBe(2);
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'portal-01-phone-due');

      // the latest bill: lines, readings, chart
      await page.getByTestId('portal-bill').first().click();
      await page.waitForURL(`**/portal/bills/${billIds[1]}`);
      await page.getByTestId('portal-bill-detail').waitFor();
      const bill = await api('customer', 'GET', `/portal/bills/${billIds[1]}`);
      expect(bill.lines.length).toBeGreaterThan(0);
      await expect.poll(() => page.getByTestId('portal-bill-line').count()).toBe(bill.lines.length);
      expect(await page.getByTestId('portal-bill-total').textContent()).toBe(yuan(bill.amountTotal));
      expect(bill.readings.length).toBeGreaterThan(0);
      expect(await page.getByTestId('portal-bill-reading').count()).toBe(bill.readings.length);
      await page.getByTestId('portal-usage-chart').locator('canvas').first().waitFor();
      const usage = await api('customer', 'GET', `/portal/accounts/${accountId}/usage?months=24`);
      expect(usage.items.filter((i: any) => i.kwh !== null).length).toBeGreaterThanOrEqual(12);
      expect(await page.getByTestId('portal-bill-pdf').getAttribute('href')).toBe(`/api/v1/bills/${billIds[1]}/pdf`);
      const pdf = await page.request.get(`/api/v1/bills/${billIds[1]}/pdf`);
      if (pdf.status() === 404 && String((await pdf.json().catch(() => ({})))?.error?.message ?? '').startsWith('no route')) {
        console.warn('\n*** bill PDF endpoint GET /api/v1/bills/:id/pdf does not exist yet: link not checked ***\n');
      } else {
        expect(pdf.status()).toBe(200);
        expect(pdf.headers()['content-type']).toContain('application/pdf');
      }
      await page.waitForTimeout(300);
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'portal-02-phone-bill');

      // pay the amount due
      await page.goto('/portal');
      await page.getByTestId('portal-pay-now').click();
      await page.waitForURL(`**/portal/pay/${accountId}`);
      await expect.poll(() => page.getByTestId('portal-pay-amount').inputValue()).toBe(before.amountDue);
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      // a bad amount is refused on the page, nothing is sent
      await page.getByTestId('portal-pay-amount').fill('1.005');
      await page.getByTestId('portal-pay-submit').click();
      await page.getByText('金额最多两位小数（分）').waitFor();
      await page.getByTestId('portal-pay-amount').fill(before.amountDue);
      await page.getByTestId('portal-pay-submit').click();
      await page.getByTestId('portal-pay-confirm-text').filter({ hasText: before.amountDue }).waitFor();
      await screenshot(page, 'portal-03-phone-confirm');
      await page.getByTestId('portal-pay-ok').dblclick();
      await page.getByTestId('portal-pay-success').waitFor();
      const receiptNo = (await page.getByTestId('portal-receipt-no').textContent())!.trim();
      expect(receiptNo).toMatch(/^WS\d{16}$/);
      expect(await page.getByTestId('portal-receipt-amount').textContent()).toBe(yuan(before.amountDue));
      expect(await page.getByTestId('portal-receipt-balance').textContent()).toBe('¥0.00');
      const payments = await api('customer', 'GET', `/portal/accounts/${accountId}/payments`);
      expect(payments.items).toHaveLength(1); // the double click posted once
      expect(payments.items[0]).toMatchObject({ receiptNo, amount: before.amountDue, status: 'posted', channel: 'PORTAL' });
      const receipt = await page.request.get(String(await page.getByTestId('portal-receipt-pdf').getAttribute('href')));
      expect(receipt.status()).toBe(200);
      expect(receipt.headers()['content-type']).toContain('application/pdf');
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'portal-04-phone-receipt');

      await page.getByTestId('portal-back').click();
      await page.waitForURL('**/portal');
      await expect.poll(() => page.getByTestId('portal-amount-due').textContent()).toBe('¥0.00');
      await page.getByTestId('portal-tab-payments').click();
      await page.getByTestId('portal-payment').filter({ hasText: receiptNo }).waitFor();
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'portal-05-phone-paid');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 300_000);

  it('desktop: the portal menu, usage tab and payments; another account is refused', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'customer');
      await page.getByTestId('side-menu').getByText('客户自助').click();
      await page.waitForURL('**/portal');
      await page.getByTestId('portal-due-card').waitFor();
      await page.getByTestId('portal-tab-usage').click();
      await page.getByTestId('portal-usage-chart').locator('canvas').first().waitFor();
      await page.getByTestId('portal-tab-payments').click();
      await expect.poll(() => page.getByTestId('portal-payment').count()).toBe(1);
      await screenshot(page, 'portal-06-desktop');
      const other = await page.request.get(`/api/v1/portal/accounts/${accountId + 1}/bills`);
      expect(other.status()).toBe(403);
      expect((await other.json()).error.code).toBe('OUT_OF_SCOPE');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 300_000);
});

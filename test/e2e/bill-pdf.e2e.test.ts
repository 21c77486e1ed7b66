/**
 * Browser journey of the billing checker (核算员, user-journeys: "… issue. Print or export the
 * bills") on a real `voltline serve` with demo data: a real run for last period on the smallest
 * 城关 route is billed, approved and issued (API); then in the UI the checker opens a bill and
 * downloads its PDF (下载PDF: 200 application/pdf), prints the run (批量打印: N+1 pages) and
 * downloads a bill from the account's 账单 tab; phone 375 px: run page and bill drawer without
 * horizontal scroll. Screenshots: test-output/e2e/bill-pdf-*.png.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildUi, hasChromium, launchBrowser, login, newDesktop, newPhone, PASSWORD, screenshot, startServer, trackErrors, type TestServer } from './support.js';

const lastPeriod = () => {
  const now = new Date(Date.now() + 8 * 3_600_000);
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  return m === 0 ? `${y - 1}-12` : `${y}-${String(m).padStart(2, '0')}`;
};

const pages = (pdf: Buffer) => (pdf.toString('latin1').match(/\/Type \/Page\b(?!s)/g) ?? []).length;

describe.skipIf(!hasChromium)('bill documents (下载PDF, 批量打印) in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let cookie = '';
  let runId = 0;
  let issued: any[] = [];
  let issuedCount = 0;

  async function api(method: string, url: string, body?: unknown): Promise<any> {
    if (!cookie) {
      const r = await fetch(`${server.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'checker', password: PASSWORD }) });
      expect(r.status).toBe(200);
      cookie = String(r.headers.get('set-cookie')).split(';')[0];
    }
    const r = await fetch(`${server.baseUrl}/api/v1${url}`, { method, headers: { cookie, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await r.json();
    if (!r.ok) throw new Error(`${method} ${url} -> ${r.status} ${JSON.stringify(json)}`);
    return json;
  }
  const noHorizontalScroll = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');

  beforeAll(async () => {
    buildUi();
    server = await startServer();
    browser = await launchBrowser();
    const routes = (await api('GET', '/metering/routes')).items.filter((r: any) => r.orgUnit.name === '城关供电所' && r.accountCount > 0).sort((a: any, b: any) => a.accountCount - b.accountCount);
    expect(routes.length).toBeGreaterThan(0);
    const created = await api('POST', '/billing/runs', { period: lastPeriod(), routeIds: [routes[0].id] });
    runId = created.run.id;
    // the server's background worker bills the route (expect.poll is not available in beforeAll)
    const deadline = Date.now() + 300_000;
    while ((await api('GET', `/billing/runs/${runId}`)).run.status !== 'review') {
      if (Date.now() > deadline) throw new Error(`run ${runId} did not reach review in 300 s`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await api('POST', `/billing/runs/${runId}/approve-clean`);
    await api('POST', `/billing/runs/${runId}/issue`, {});
    issued = (await api('GET', `/billing/runs/${runId}/bills?status=issued&pageSize=100`)).items;
    expect(issued.length).toBeGreaterThan(0);
    issuedCount = (await api('GET', `/billing/runs/${runId}`)).statusCounts.issued; // the list above is one page (≤ 100)
    expect(issuedCount).toBeGreaterThanOrEqual(issued.length);
  }, 900_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('checker: bill drawer 下载PDF, run 批量打印, account 账单 tab', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'checker');
      await page.goto(`/billing/runs/${runId}`);
      const bill = issued[0];
      const row = page.getByTestId('run-bills').locator('tr.ant-table-row', { hasText: bill.accountNo });
      await row.getByTestId('bill-open').click();
      await page.getByTestId('bill-detail').waitFor();
      const btn = page.getByTestId('bill-pdf');
      await btn.waitFor();
      expect(await btn.textContent()).toContain('下载PDF');
      const href = await btn.getAttribute('href');
      expect(href).toBe(`/api/v1/bills/${bill.id}/pdf`);
      // the link as the browser fetches it (session cookie of this context)
      const res = await page.request.get(href!);
      expect(res.status()).toBe(200);
      expect(res.headers()['content-type']).toBe('application/pdf');
      const body = await res.body();
      expect(body.subarray(0, 5).toString()).toBe('%PDF-');
      expect(pages(body)).toBe(1);
      // clicking downloads the file
      const [download] = await Promise.all([page.waitForEvent('download'), btn.click()]);
      expect(download.suggestedFilename()).toBe(`bill-${bill.accountNo}-${bill.period}.pdf`);
      const file = fs.readFileSync((await download.path())!);
      expect(file.subarray(0, 5).toString()).toBe('%PDF-');
      await screenshot(page, 'bill-pdf-01-drawer');
      await page.keyboard.press('Escape');

      // 批量打印: cover page + one page per issued bill
      const print = page.getByTestId('run-print-pdf');
      await print.waitFor();
      expect(await print.textContent()).toContain(`批量打印 (${issuedCount})`);
      const [batch] = await Promise.all([page.waitForEvent('download'), print.click()]);
      const pdf = fs.readFileSync((await batch.path())!);
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(pages(pdf)).toBe(issuedCount + 1);
      await screenshot(page, 'bill-pdf-02-run-print');

      // the account's 账单 tab
      await page.goto(`/archive/accounts/${bill.accountId}`);
      await page.getByRole('tab', { name: '账单' }).click();
      const acctRow = page.getByTestId('account-bills').locator('tr.ant-table-row', { hasText: bill.period });
      await acctRow.waitFor();
      const link = acctRow.getByTestId('account-bill-pdf');
      expect(await link.getAttribute('href')).toBe(`/api/v1/bills/${bill.id}/pdf`);
      const [d2] = await Promise.all([page.waitForEvent('download'), link.click()]);
      expect(fs.readFileSync((await d2.path())!).subarray(0, 5).toString()).toBe('%PDF-');
      await screenshot(page, 'bill-pdf-03-account-bills');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 300_000);

  it('phone 375 px: the run page with 批量打印 and the bill drawer with 下载PDF, no horizontal scroll', async () => {
    const ctx = await newPhone(browser, server.baseUrl);
    const page = await ctx.newPage();
    try {
      await login(page, 'checker');
      await page.goto(`/billing/runs/${runId}`);
      await page.getByTestId('run-print-pdf').waitFor();
      await page.getByTestId('run-bills').locator('tr.ant-table-row').first().waitFor();
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'bill-pdf-04-phone-run');
      await page.getByTestId('run-bills').locator('tr.ant-table-row', { hasText: issued[0].accountNo }).getByTestId('bill-open').click();
      await page.getByTestId('bill-pdf').waitFor();
      const res = await page.request.get((await page.getByTestId('bill-pdf').getAttribute('href'))!);
      expect(res.status()).toBe(200);
      expect(res.headers()['content-type']).toBe('application/pdf');
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'bill-pdf-05-phone-drawer');
    } finally {
      await ctx.close();
    }
  }, 300_000);
});

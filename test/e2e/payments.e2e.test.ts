/**
 * Browser journeys of the collector (收费员) and the supervisor (供电所长, payment.supervise) on a
 * real `voltline serve` with demo data (user-journeys.md, 收费员 1-2):
 *  - setup (API, as the billing checker): a real billing run for the smallest 城关 route is
 *    issued, so its accounts owe their bills (receivables);
 *  - desktop: the collector opens a shift with a float, finds an account that owes by 户号,
 *    takes its amount due in cash with change, the receipt PDF answers 200 application/pdf,
 *    takes a card payment and voids it with a reason, sees the payment on the account's 缴费记录
 *    tab, closes the shift with the matching cash count (difference 0.00);
 *  - the supervisor approves the shift in 收费稽核;
 *  - phone 375 px (走收): the collector opens a shift and takes a payment without horizontal scroll;
 *    arrears and reconciliation pages fit too.
 * Screenshots: test-output/e2e/payments-*.png.
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

/** exact decimal-string arithmetic in fen (the test never uses floats for money) */
const fen = (s: string) => {
  const [i, f = ''] = s.split('.');
  return BigInt(i) * 100n + BigInt((f + '00').slice(0, 2));
};
const str = (f: bigint) => {
  const s = f.toString().padStart(3, '0');
  return `${s.slice(0, -2)}.${s.slice(-2)}`;
};
const shown = (f: bigint) => {
  const [i, d] = str(f).split('.');
  return `¥${i.replace(/\B(?=(\d{3})+$)/g, ',')}.${d}`;
};

describe.skipIf(!hasChromium)('payments (收费) in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const cookies = new Map<string, string>();
  let owing: Array<{ accountId: number; accountNo: string }> = [];
  let shiftId = 0;

  async function api(user: string, method: string, url: string, body?: unknown): Promise<any> {
    if (!cookies.has(user)) {
      const r = await fetch(`${server.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: PASSWORD }) });
      expect(r.status).toBe(200);
      cookies.set(user, String(r.headers.get('set-cookie')).split(';')[0]);
    }
    const r = await fetch(`${server.baseUrl}/api/v1${url}`, { method, headers: { cookie: cookies.get(user)!, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await r.json();
    if (!r.ok) throw new Error(`${method} ${url} -> ${r.status} ${JSON.stringify(json)}`);
    return json;
  }

  const noHorizontalScroll = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');

  beforeAll(async () => {
    buildUi();
    server = await startServer();
    browser = await launchBrowser();
    // issued bills = what the demo accounts owe
    const routes = (await api('checker', 'GET', '/metering/routes')).items;
    const route = routes.filter((r: any) => r.orgUnit.name === '城关供电所' && r.accountCount > 0).sort((a: any, b: any) => a.accountCount - b.accountCount)[0];
    expect(route).toBeTruthy();
    const { run } = await api('checker', 'POST', '/billing/runs', { period: lastPeriod(), trial: false, routeIds: [route.id] });
    for (const t0 = Date.now(); ; ) {
      const st = (await api('checker', 'GET', `/billing/runs/${run.id}`)).run.status;
      if (st === 'review') break;
      if (st === 'failed' || st === 'cancelled' || Date.now() - t0 > 300_000) throw new Error(`billing run ${run.id} is ${st}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await api('checker', 'POST', `/billing/runs/${run.id}/approve-clean`, {});
    await api('checker', 'POST', `/billing/runs/${run.id}/issue`, {});
    const bills = (await api('checker', 'GET', `/billing/runs/${run.id}/bills?status=issued&pageSize=100`)).items.filter((b: any) => fen(String(b.amountTotal)) > 0n);
    owing = bills.slice(0, 4).map((b: any) => ({ accountId: b.accountId, accountNo: b.accountNo }));
    expect(owing.length).toBeGreaterThanOrEqual(3);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('collector: open shift, cash payment with change, receipt PDF, void with reason, 缴费记录, close shift (日结) matching', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'collector');
      const menu = page.getByTestId('side-menu');
      if (!(await menu.getByText('柜台收费').isVisible())) await menu.getByText('收费管理').click();
      await menu.getByText('柜台收费').click();
      await page.waitForURL('**/payments/counter');

      // 开班 with a float of 200.00
      await page.getByTestId('shift-float').fill('200.00');
      await page.getByTestId('shift-open').click();
      await page.getByTestId('shift-no').waitFor();
      shiftId = Number((await page.getByTestId('shift-no').textContent())!.replace(/\D/g, ''));
      expect(shiftId).toBeGreaterThan(0);

      // find the account by 户号; what it owes today
      const acc = owing[0];
      const due = await api('collector', 'GET', `/payments/accounts/${acc.accountNo}/due`);
      expect(fen(due.amountDue)).toBeGreaterThan(0n);
      await page.getByPlaceholder('户号 / 户名 / 账单号').fill(acc.accountNo);
      await page.getByPlaceholder('户号 / 户名 / 账单号').press('Enter');
      const result = page.getByTestId(`due-${acc.accountNo}`);
      await result.waitFor();
      expect(await result.getByTestId('due-amount').textContent()).toContain(shown(fen(due.amountDue)));
      await page.getByTestId(`add-${acc.accountNo}`).click();
      expect(await page.getByTestId(`cart-amount-${acc.accountNo}`).inputValue()).toBe(due.amountDue);
      expect(await page.getByTestId('cart-total').textContent()).toBe(shown(fen(due.amountDue)));

      // cash: tendered rounds up to the next 100 yuan; change shown before and after posting
      const tendered = (fen(due.amountDue) / 10000n + 1n) * 10000n;
      const change = tendered - fen(due.amountDue);
      await page.getByTestId('pay-tendered').fill(str(tendered));
      expect(await page.getByTestId('pay-change').textContent()).toBe(shown(change));
      await page.getByTestId('pay-submit').click();
      await page.getByTestId('receipt-no').waitFor();
      const receiptNo = (await page.getByTestId('receipt-no').textContent())!.trim();
      expect(receiptNo).toMatch(/^SJ\d{8}\d+$/);
      expect(await page.getByTestId('receipt-change').textContent()).toBe(shown(change));
      await screenshot(page, 'payments-01-receipt');

      // the receipt PDF (same session as the page)
      const pdf = await page.request.get(`/api/v1/payments/receipts/${receiptNo}/pdf`);
      expect(pdf.status()).toBe(200);
      expect(pdf.headers()['content-type']).toBe('application/pdf');
      expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
      const dl = await page.getByTestId('receipt-download').getAttribute('href');
      expect(dl).toBe(`/api/v1/payments/receipts/${receiptNo}/pdf`);
      const after = await api('collector', 'GET', `/payments/accounts/${acc.accountNo}/due`);
      expect(after.amountDue).toBe('0.00');

      // a mistaken card payment for another account, voided with a reason
      await page.getByTestId('receipt-next').click();
      const acc2 = owing[1];
      await page.getByPlaceholder('户号 / 户名 / 账单号').fill(acc2.accountNo);
      await page.getByPlaceholder('户号 / 户名 / 账单号').press('Enter');
      await page.getByTestId(`add-${acc2.accountNo}`).click();
      await page.getByTestId(`cart-amount-${acc2.accountNo}`).fill('1.00');
      await page.getByTestId('pay-method').getByText('银行卡').click();
      await page.getByTestId('pay-submit').click();
      await page.getByTestId('receipt-no').waitFor();
      const shift = await api('collector', 'GET', `/payments/shifts/${shiftId}`);
      const card = shift.items.find((p: any) => p.method === 'card' && p.status === 'posted');
      expect(card).toBeTruthy();
      await page.getByTestId(`void-${card.paymentId}`).click();
      await page.getByTestId('void-ok').click();
      await page.getByText('请填写原因（至少 2 个字）').waitFor(); // no reason: refused in the dialog
      await page.getByTestId('void-reason').fill('刷卡金额录错');
      await page.getByTestId('void-ok').click();
      await page.getByTestId(`shift-payment-${card.paymentId}`).getByText('已作废').waitFor();
      expect(await page.getByTestId(`shift-payment-${card.paymentId}`).textContent()).toContain('刷卡金额录错');
      expect((await api('collector', 'GET', `/payments/shifts/${shiftId}`)).voided).toEqual({ count: 1, amount: '1.00' });
      await screenshot(page, 'payments-02-voided');

      // the account 360 view: 缴费记录 tab
      await page.goto(`/archive/accounts/${acc.accountId}`);
      await page.getByRole('tab', { name: '缴费记录' }).click();
      const rows = page.getByTestId('account-payments');
      await rows.getByText(receiptNo).waitFor();
      expect(await rows.textContent()).toContain('已入账');
      await screenshot(page, 'payments-03-account-tab');

      // 日结: expected = float + cash; counted the same -> difference 0.00
      await page.goto('/payments/counter');
      await page.getByTestId('shift-close').click();
      const expected = fen('200.00') + fen(due.amountDue);
      await expect.poll(() => page.getByTestId('close-expected').textContent()).toBe(shown(expected));
      await page.getByTestId('close-counted').fill(str(expected - 100n));
      expect(await page.getByTestId('close-difference').textContent()).toBe('-¥1.00');
      await page.getByTestId('close-reason').waitFor(); // a difference asks for a reason
      await page.getByTestId('close-counted').fill(str(expected));
      expect(await page.getByTestId('close-difference').textContent()).toBe('¥0.00');
      await page.getByTestId('close-ok').click();
      const report = page.getByTestId('last-closed');
      await report.waitFor();
      expect(await report.getByTestId('report-expected').textContent()).toBe(shown(expected));
      expect(await report.getByTestId('report-counted').textContent()).toBe(shown(expected));
      expect(await report.getByTestId('report-difference').textContent()).toBe('¥0.00');
      expect((await api('collector', 'GET', `/payments/shifts/${shiftId}`)).status).toBe('closed');
      await screenshot(page, 'payments-04-closed');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 600_000);

  it('supervisor (manager, payment.supervise): sees the 日结 figures and approves the shift', async () => {
    expect(shiftId).toBeGreaterThan(0);
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'manager');
      const menu = page.getByTestId('side-menu');
      if (!(await menu.getByText('收费稽核').isVisible())) await menu.getByText('收费管理').click();
      await expect(menu.getByText('柜台收费').count()).resolves.toBe(0); // no payment.collect
      await menu.getByText('收费稽核').click();
      await page.waitForURL('**/payments/supervise');
      const card = page.getByTestId(`sup-shift-${shiftId}`);
      await card.waitFor();
      expect(await card.getByTestId('report-difference').textContent()).toBe('¥0.00');
      await screenshot(page, 'payments-05-supervise');
      // reject needs a reason; then approve
      await card.getByTestId(`shift-reject-${shiftId}`).click();
      await page.getByTestId('decide-ok').click();
      await page.getByTestId('decide-error').waitFor();
      await page.locator('.ant-modal-close').click();
      await card.getByTestId(`shift-approve-${shiftId}`).click();
      await page.getByTestId('decide-note').fill('现金核对无误');
      await page.getByTestId('decide-ok').click();
      await expect.poll(async () => (await api('manager', 'GET', `/payments/shifts/${shiftId}`)).status).toBe('approved');
      await expect.poll(() => page.getByTestId(`sup-shift-${shiftId}`).count()).toBe(0); // left the to-approve list
      // arrears page opens (no bill of the demo data is overdue yet: every bucket is a number)
      await page.goto('/payments/arrears');
      await page.getByTestId('arr-totals').waitFor();
      expect(await page.getByTestId('arr-buckets').textContent()).toContain('180天以上');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 300_000);

  it('对账: the collector imports a bank statement; the supervisor resolves its long item (posted)', async () => {
    await api('admin', 'POST', '/payments/channels', { code: 'E2EBANK', name: '测试银行' });
    const acc = owing[3] ?? owing[0];
    const key = `e2e-long-${Date.now()}`;
    const desk = await newDesktop(browser, server.baseUrl);
    const page = await desk.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'collector');
      await page.goto('/payments/reconciliation');
      await page.getByTestId('rec-upload').waitFor();
      await page.getByTestId('rec-csv').fill(`idempotencyKey,accountNo,amount\n${key},${acc.accountNo},10.00\n`);
      await page.getByTestId('rec-upload').click();
      const view = page.getByTestId('rec-view');
      await view.waitFor();
      await view.getByText('长款（渠道有，系统无）').first().waitFor();
      expect(await view.textContent()).toContain('处理差异需要收费稽核权限'); // the collector cannot resolve
      await screenshot(page, 'payments-08-reconcile-import');
      const list = await api('manager', 'GET', '/payments/ui/statements');
      const st = list.items.find((s: any) => s.channelCode === 'E2EBANK');
      expect(st).toMatchObject({ long: 1, unresolved: 1 });
      const item = (await api('manager', 'GET', `/payments/ui/statements/${st.id}`)).items[0];
      await page.close();

      const ctx = await newDesktop(browser, server.baseUrl);
      const p2 = await ctx.newPage();
      const errors2 = trackErrors(p2);
      await login(p2, 'manager');
      await p2.goto(`/payments/reconciliation?statement=${st.id}`);
      await p2.getByTestId(`rec-resolve-${item.id}-posted`).click();
      await p2.getByTestId('rec-note').fill('银行已扣款，补记入账');
      await p2.getByTestId('rec-resolve-ok').click();
      await expect.poll(async () => (await api('manager', 'GET', `/payments/ui/statements/${st.id}`)).items[0].resolution).toBe('posted');
      await p2.getByTestId(`rec-statement-${st.id}`).getByText('已处理').waitFor();
      await screenshot(p2, 'payments-09-reconcile-resolved');
      expect(errors2).toEqual([]);
      await ctx.close();
      expect(errors).toEqual([]);
    } finally {
      await desk.close();
    }
  }, 300_000);

  it('phone 375 px (走收): the collector opens a shift and takes a payment without horizontal scroll', async () => {
    const ctx = await newPhone(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'collector');
      await page.goto('/payments/counter');
      await page.getByTestId('shift-open').waitFor();
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await page.getByTestId('shift-float').fill('50');
      await page.getByTestId('shift-open').click();
      await page.getByTestId('shift-no').waitFor();
      const acc = owing[2];
      const due = await api('collector', 'GET', `/payments/accounts/${acc.accountNo}/due`);
      await page.getByPlaceholder('户号 / 户名 / 账单号').fill(acc.accountNo);
      await page.getByPlaceholder('户号 / 户名 / 账单号').press('Enter');
      await page.getByTestId(`add-${acc.accountNo}`).click();
      await page.getByTestId('pay-method').getByText('扫码').click();
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'payments-06-phone-cart');
      await page.getByTestId('pay-submit').click();
      await page.getByTestId('receipt-no').waitFor();
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      const shift = await api('collector', 'GET', '/payments/shifts/current');
      expect(shift.shift.byMethod.qr).toEqual({ count: 1, amount: due.amountDue });
      await screenshot(page, 'payments-07-phone-receipt');
      // arrears and reconciliation fit the phone too
      await page.goto('/payments/arrears');
      await page.getByTestId('arr-totals').waitFor();
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'payments-10-phone-arrears');
      await page.goto('/payments/reconciliation');
      await page.getByTestId('rec-statements').locator('.ant-list-item').first().waitFor();
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 300_000);

  it('催费: the manager sends an arrears reminder from 欠费管理 (one row, then the selected rows); a repeat within 7 days is skipped', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      // the demo bills fall due this month: count arrears 90 days ahead so they are overdue
      const asOf = new Date(Date.now() + 8 * 3_600_000 + 90 * 86_400_000).toISOString().slice(0, 10);
      await login(page, 'manager');
      await page.goto(`/payments/arrears?asOf=${asOf}`);
      await page.getByTestId('arr-totals').waitFor();
      const buttons = page.locator('[data-testid^="arr-remind-"]:not([data-testid="arr-remind-selected"])');
      await buttons.first().waitFor();
      const first = (await buttons.first().getAttribute('data-testid'))!.replace('arr-remind-', '');
      expect(await page.getByTestId(`arr-last-${first}`).textContent()).toBe('-');
      await page.getByTestId(`arr-remind-${first}`).click();
      await page.getByText('已发送催费通知 1 户').waitFor();
      await expect.poll(async () => (await page.getByTestId(`arr-last-${first}`).textContent())?.trim()).not.toBe('-');
      const rows = (await api('manager', 'GET', `/payments/ui/arrears?asOf=${asOf}&pageSize=100`)).items;
      expect(rows.find((r: any) => r.accountNo === first).lastReminderAt).not.toBeNull();
      await screenshot(page, 'payments-11-arrears-reminded');
      // select two rows (the one just reminded and another): one new reminder, one skipped
      const second = rows.find((r: any) => r.accountNo !== first && r.lastReminderAt === null)?.accountNo;
      expect(second).toBeTruthy();
      await page.getByTestId(`arr-row-${first}`).locator('.ant-checkbox-input').check();
      await page.getByTestId(`arr-row-${second}`).locator('.ant-checkbox-input').check();
      await page.getByTestId('arr-remind-selected').click();
      await page.getByText('7 天内已催 1 户').waitFor();
      expect(await page.getByText('已发送催费通知 1 户').count()).toBeGreaterThan(0);
      const audit = await api('admin', 'GET', '/audit?action=arrears.remind&pageSize=50');
      expect(audit.items.length).toBeGreaterThanOrEqual(2);
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 300_000);
});

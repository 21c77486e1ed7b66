/**
 * 退费 after 销户 in Chromium on a real `voltline serve` with demo data (user-journeys.md:
 * 收费员 — refunds; 业扩 — 销户):
 *  - setup through the API (as service-closure.test.ts does): the collector opens a shift and
 *    takes a 预存 cash payment on an active account of the station (a credit); the admin walks a
 *    销户 request through its stages (documents uploaded) and completes 变更实施 with the final
 *    reading (previous reading + 10) and a cash refund: the settlement is done, the refund is
 *    pending and the balance is 0.00;
 *  - desktop: the collector opens 收费管理 → 退费管理, finds the pending refund by 户号, opens it,
 *    marks it paid with a reference; it shows 已支付 with the reference, the paid filter lists it,
 *    and a second payout is refused (409) by the API;
 *  - desktop: the 销户 request page shows the settlement (final bill, refund amount 已支付,
 *    closing balance);
 *  - desktop: a second 销户 through the stage form (final reading, transfer payee): the final
 *    bill leaves a debit, the 409 is shown under 客户柜台结清; ticked, the 销户 completes and the
 *    settlement shows the closing debit; notifications carry their SMS status tag;
 *  - phone 375 px: the refunds page without horizontal scroll.
 * Screenshots: test-output/e2e/refunds-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildUi, hasChromium, launchBrowser, login, newDesktop, newPhone, PASSWORD, screenshot, startServer, trackErrors, type TestServer } from './support.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).toString('base64');
const todayCst = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

/** exact decimal-string arithmetic in fen */
const fen = (s: string) => {
  const neg = s.startsWith('-');
  const [i, f = ''] = s.replace('-', '').split('.');
  const v = BigInt(i) * 100n + BigInt((f + '00').slice(0, 2));
  return neg ? -v : v;
};
const shown = (f: bigint) => {
  const s = f.toString().padStart(3, '0');
  return `¥${s.slice(0, -2).replace(/\B(?=(\d{3})+$)/g, ',')}.${s.slice(-2)}`;
};

describe.skipIf(!hasChromium)('退费 after 销户 in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const cookies = new Map<string, string>();
  let account: { id: number; accountNo: string; name: string };
  let request: { id: number; requestNo: string };
  let refund: { id: number; amount: string };
  let finalBillAmount = '';

  async function call(user: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
    if (!cookies.has(user)) {
      const r = await fetch(`${server.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: PASSWORD }) });
      expect(r.status).toBe(200);
      cookies.set(user, String(r.headers.get('set-cookie')).split(';')[0]);
    }
    const r = await fetch(`${server.baseUrl}/api/v1${url}`, { method, headers: { cookie: cookies.get(user)!, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: r.status, body: await r.json() };
  }
  async function api(user: string, method: string, url: string, body?: unknown): Promise<any> {
    const r = await call(user, method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url} -> ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
  const noHorizontalScroll = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');

  /** Pass stages (documents attached) until the 变更实施 stage (execute) is current. */
  async function walkToExecute(id: number, on: string) {
    for (let i = 0; i < 10; i++) {
      const r = await api('admin', 'GET', `/service/requests/${id}`);
      if (r.stage === 'execute' || r.status !== 'open') return r;
      for (const d of r.requiredDocuments.filter((x: any) => !x.present)) {
        await api('admin', 'POST', `/service/requests/${id}/documents`, { kind: d.kind, fileName: `${d.kind}.png`, contentType: 'image/png', dataBase64: PNG });
      }
      await api('admin', 'POST', `/service/requests/${id}/transition`, { action: 'pass', on, version: r.version });
    }
    throw new Error('did not reach execute');
  }

  beforeAll(async () => {
    buildUi();
    server = await startServer();
    browser = await launchBrowser();
    const today = todayCst();
    // the collector's 预存 (credit) of 300.00 at the counter
    const shift = await call('collector', 'GET', '/payments/shifts/current');
    if (shift.status !== 200 || !shift.body?.id) await api('collector', 'POST', '/payments/shifts', { openingFloat: '100.00' });
    const candidates = (await api('collector', 'GET', '/accounts?customerClass=residential&status=active&pageSize=30')).items as Array<{ id: number; accountNo: string; name: string }>;
    expect(candidates.length).toBeGreaterThan(0);
    const tried: string[] = [];
    for (const c of candidates.slice(0, 6)) {
      const readings = (await call('admin', 'GET', `/accounts/${c.id}/readings?register=TOTAL&pageSize=50`)).body?.items ?? [];
      let prev = Math.max(0, ...readings.filter((x: any) => x.status === 'accepted' || x.status === 'estimated').map((x: any) => Number(x.value)));
      await api('collector', 'POST', '/payments/counter', { items: [{ accountNo: c.accountNo, amount: '300.00' }], method: 'cash', tendered: '300.00', requestId: `e2e-refund-${c.id}-${Date.now()}` });
      const cl = await api('admin', 'POST', '/service/requests', { type: 'close', accountId: c.id, receivedOn: today, data: {} });
      const r = await walkToExecute(cl.id, today);
      for (let attempt = 0; attempt < 4; attempt++) {
        const fr = (prev + 10).toFixed(2);
        const p = await call('admin', 'POST', `/service/requests/${cl.id}/transition`, {
          action: 'pass', on: today, version: r.version, form: { effectiveOn: today, finalReading: fr, refund: { method: 'cash', payeePhone: '13800000000' } },
        });
        if (p.status === 200) break;
        // the final bill is larger than the 预存: the customer pays the debit + 300.00 more at the counter, then 销户 again
        const arrears = p.body?.error?.details?.arrears;
        if (p.status === 409 && p.body?.error?.details?.field === 'data.payAtCounter' && typeof arrears === 'string') {
          const f = fen(arrears) + 30_000n;
          const amount = `${f / 100n}.${String(f % 100n).padStart(2, '0')}`;
          await api('collector', 'POST', '/payments/counter', { items: [{ accountNo: c.accountNo, amount }], method: 'cash', tendered: amount, requestId: `e2e-refund2-${c.id}-${Date.now()}` });
          continue;
        }
        const m = /(?:previous|initial) reading ([\d.]+)/.exec(p.body?.error?.message ?? '');
        tried.push(`${c.accountNo}: ${p.status} ${p.body?.error?.message}`);
        if (!m) break;
        prev = Number(m[1]);
      }
      let done = await api('admin', 'GET', `/service/requests/${cl.id}`);
      if (done.stage === 'execute') continue;
      // 归档 (archive) after 变更实施
      for (let i = 0; i < 4 && done.status === 'open'; i++) {
        await api('admin', 'POST', `/service/requests/${cl.id}/transition`, { action: 'pass', on: today, version: done.version });
        done = await api('admin', 'GET', `/service/requests/${cl.id}`);
      }
      if (done.status !== 'completed') {
        tried.push(`${c.accountNo}: request ${done.status} at ${done.stage}`);
        continue;
      }
      const s = done.effects.find((e: any) => e.effect === 'close_account')?.summary?.settlement;
      if (s?.status !== 'done' || !s.refundId) {
        tried.push(`${c.accountNo}: settlement ${JSON.stringify(s)}`);
        continue;
      }
      account = c;
      request = { id: cl.id, requestNo: cl.requestNo };
      refund = { id: s.refundId, amount: s.refundAmount };
      finalBillAmount = s.finalBill.amount;
      expect(s.balance).toBe('0.00');
      break;
    }
    expect(account, `no account could be closed with a refund: ${tried.join(' | ')}`).toBeTruthy();
    const ledger = await api('collector', 'GET', `/payments/accounts/${account.accountNo}/ledger`);
    expect(fen(String(ledger.balance))).toBe(0n);
    expect(fen(refund.amount)).toBeGreaterThan(0n);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('collector: 退费管理 lists the pending refund, marks it paid with a reference; a second payout is refused', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'collector');
      const menu = page.getByTestId('side-menu');
      if (!(await menu.getByText('退费管理').isVisible())) await menu.getByText('收费管理').click();
      await menu.getByText('退费管理').click();
      await page.waitForURL('**/payments/refunds');
      await page.getByTestId('refund-search').locator('input').fill(account.accountNo);
      await page.getByTestId('refund-search').locator('input').press('Enter');
      const row = page.getByTestId('refund-row').filter({ hasText: account.accountNo });
      await row.waitFor();
      await expect(page.getByTestId('refund-row').count()).resolves.toBe(1);
      await expect(row.textContent()).resolves.toContain(shown(fen(refund.amount)));
      await expect(row.getByTestId('refund-status').textContent()).resolves.toBe('待支付');
      await expect(row.textContent()).resolves.toContain(request.requestNo);
      await screenshot(page, 'refunds-list');

      await row.getByTestId('refund-open').click();
      const detail = page.getByTestId('refund-detail');
      await detail.waitFor();
      await expect(page.getByTestId('refund-amount').textContent()).resolves.toBe(shown(fen(refund.amount)));
      // the reference is required (CI flake: under load the OK click was lost once and the
      // message never came; the form only validates, so clicking again is harmless)
      await page.getByTestId('refund-mark-paid').click();
      for (let i = 0; ; i++) {
        await page.getByTestId('refund-pay-ok').click();
        try {
          await page.getByText('必填').first().waitFor({ timeout: 15_000 });
          break;
        } catch (e) {
          if (i >= 3) throw e;
        }
      }
      await page.getByTestId('refund-pay-reference').fill('XJ20261128001');
      await page.getByTestId('refund-pay-note').fill('现金退付，客户签收');
      await page.getByTestId('refund-pay-ok').click();
      await page.getByTestId('refund-reference').waitFor();
      await expect(page.getByTestId('refund-reference').textContent()).resolves.toBe('XJ20261128001');
      await expect(detail.getByTestId('refund-status').textContent()).resolves.toBe('已支付');
      await expect(page.getByTestId('refund-mark-paid').count()).resolves.toBe(0);
      // the drawer names who paid it out (the demo collector), not a user id
      await expect(page.getByTestId('refund-paid-by').textContent()).resolves.toBe('收费员 陈静');
      await screenshot(page, 'refunds-paid');

      // stored: paid with the reference; a second payout is 409
      const stored = await api('collector', 'GET', `/payments/refunds/${refund.id}`);
      expect(stored).toMatchObject({ status: 'paid', paidReference: 'XJ20261128001', paidNote: '现金退付，客户签收' });
      const again = await call('collector', 'POST', `/payments/refunds/${refund.id}/paid`, { reference: 'X2' });
      expect(again.status).toBe(409);

      // the 已支付 filter lists it
      await page.locator('.ant-drawer-close').click();
      await detail.waitFor({ state: 'hidden' });
      await page.getByTestId('refund-filter-status').click();
      await page.locator('.ant-select-item-option').filter({ hasText: /^已支付$/ }).click();
      await expect(page.getByTestId('refund-filter-status').textContent()).resolves.toContain('已支付');
      await page.getByTestId('refund-row').filter({ hasText: account.accountNo }).waitFor();
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('the 销户 request page shows the settlement: final bill, refund paid, balance 0.00', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'admin');
      await page.goto(`/service/${request.id}`);
      const card = page.getByTestId('req-settlement');
      await card.waitFor();
      await expect(page.getByTestId('settlement-status').textContent()).resolves.toBe('已结清');
      await expect(page.getByTestId('settlement-bill').textContent()).resolves.toBe(shown(fen(finalBillAmount)));
      await expect(page.getByTestId('settlement-refund').textContent()).resolves.toBe(shown(fen(refund.amount)));
      await page.getByTestId('settlement-refund-status').waitFor();
      await expect(page.getByTestId('settlement-refund-status').textContent()).resolves.toBe('已支付');
      await expect(page.getByTestId('settlement-balance').textContent()).resolves.toBe('¥0.00');
      expect(await page.getByTestId('settlement-bill-link').getAttribute('href')).toMatch(/^\/api\/v1\/bills\/\d+\/pdf$/);
      await screenshot(page, 'refunds-request-settlement');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('销户 form in the browser: final reading and refund payee; the debit is refused under 客户柜台结清, then completes with it', async () => {
    const today = todayCst();
    const candidates = (await api('collector', 'GET', '/accounts?customerClass=residential&status=active&pageSize=30')).items as Array<{ id: number; accountNo: string }>;
    const c = candidates.find((x) => x.id !== account.id)!;
    const cl = await api('admin', 'POST', '/service/requests', { type: 'close', accountId: c.id, receivedOn: today, data: {} });
    const r = await walkToExecute(cl.id, today);
    // the previous reading, from the API's own refusal (nothing is written on a 400)
    // (the meter's initial reading first, then the latest reading)
    let prev = 0;
    for (let i = 0; i < 3; i++) {
      const probe = await call('admin', 'POST', `/service/requests/${cl.id}/transition`, { action: 'pass', on: today, version: r.version, form: { effectiveOn: today, finalReading: (prev + 0.01).toFixed(2) } });
      if (probe.status === 409) break; // reading accepted; refused for the debit (rolled back)
      expect(probe.status, JSON.stringify(probe.body)).toBe(400);
      const m = /(?:previous|initial) reading ([\d.]+)/.exec(probe.body.error.message);
      if (!m) break;
      prev = Number(m[1]);
    }
    expect(prev).toBeGreaterThan(0);
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'admin');
      await page.goto(`/service/${cl.id}`);
      await page.getByTestId('closing-fields').waitFor();
      await page.getByTestId('field-effectiveOn').fill(today);
      await page.getByTestId('field-finalReading').fill((prev + 10).toFixed(2));
      await page.getByTestId('field-refund-method').click();
      await page.locator('.ant-select-item-option').filter({ hasText: /^银行转账$/ }).click();
      await expect(page.getByTestId('field-refund-method').textContent()).resolves.toContain('银行转账');
      await page.getByTestId('field-refund-payeeBank').fill('中国工商银行');
      await page.getByTestId('field-refund-payeeAccount').fill('6222020200112233445');
      await page.getByTestId('action-pass').click();
      await page.getByTestId('confirm-pass').click();
      // the final bill leaves a debit: 409 shown, explained under the 客户柜台结清 checkbox
      await page.getByTestId('req-error').waitFor();
      const fieldErr = page.getByTestId('closing-fields').locator('.ant-form-item-explain-error').filter({ hasText: '客户柜台结清' });
      await expect(fieldErr.textContent()).resolves.toMatch(/仍欠费 \d+\.\d{2} 元/);
      await fieldErr.waitFor();
      await expect(page.getByTestId('req-stage').textContent()).resolves.toBe('变更实施');
      await screenshot(page, 'refunds-close-form-409');
      await page.getByTestId('field-payAtCounter').check();
      // CI flake (2026-11-29, once in ~10 runs): the settlement never showed within 60 s. After 30 s:
      // stage moved on → reload and wait for the settlement; still 变更实施 → the click was lost,
      // pass again. The transition carries the request's version, so a pass that did go through
      // makes a second one a version conflict, never a second stage change.
      for (let attempt = 1; ; attempt++) {
        await page.getByTestId('action-pass').click();
        await page.getByTestId('confirm-pass').click();
        try {
          await page.getByTestId('req-settlement').waitFor({ timeout: 30_000 });
          break;
        } catch (e) {
          if (attempt >= 3) throw e;
          // the pass went through after all (stage moved on): reload and wait for the settlement
          if ((await page.getByTestId('req-stage').textContent()) !== '变更实施') {
            await page.reload();
            await page.getByTestId('req-settlement').waitFor();
            break;
          }
          // still 变更实施 and no error: the click was lost; the form still holds its values
        }
      }
      await expect(page.getByTestId('req-stage').textContent()).resolves.toBe('资料归档');
      const d = await api('admin', 'GET', `/service/requests/${cl.id}`);
      const s = d.effects.find((e: any) => e.effect === 'close_account').summary.settlement;
      expect(s).toMatchObject({ status: 'done', payAtCounter: true, refundAmount: '0.00' });
      expect(fen(s.balance)).toBeGreaterThan(0n);
      await expect(page.getByTestId('settlement-balance').textContent()).resolves.toBe(shown(fen(s.balance)));
      await expect(page.getByTestId('settlement-bill').textContent()).resolves.toBe(shown(fen(s.finalBill.amount)));
      expect(d.effects.find((e: any) => e.effect === 'close_account').summary.finalReadings.TOTAL).toBe((prev + 10).toFixed(2));
      await expect(page.getByTestId('sms-status').count()).resolves.toBeGreaterThan(0);
      await screenshot(page, 'refunds-close-form-done');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('phone 375 px: the refunds page has no horizontal scroll', async () => {
    const ctx = await newPhone(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'collector');
      await page.goto('/payments/refunds');
      await page.getByTestId('refund-filter-status').click();
      await page.locator('.ant-select-item-option').filter({ hasText: /^全部$/ }).click();
      await page.getByTestId('refund-row').filter({ hasText: account.accountNo }).waitFor();
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await page.getByTestId('refund-row').filter({ hasText: account.accountNo }).click();
      await page.getByTestId('refund-detail').waitFor();
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'refunds-phone');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});

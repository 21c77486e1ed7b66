/**
 * Browser journeys of service requests (业扩报装, issue 7) on a real `voltline serve` with demo data:
 *  - desktop, counter clerk (journey 营业员 #3): 业务受理 from the menu, a 低压居民新装 with the ID
 *    uploaded, the acceptance slip with the promised date; passing 受理 needs the document; the
 *    clerk cannot act on the engineer's 现场勘查;
 *  - desktop, engineer: the work queue shows days left in colour; pause / resume the clock with a
 *    reason; pass 现场勘查; return needs a reason (error shown, nothing changes);
 *  - desktop, manager: the on-time report with its ECharts and the rate of the stages above;
 *  - phone 375 px, customer: 我的业务办理 — apply for 过户 with documents, see the slip and the
 *    request's progress; phone engineer queue as cards; no horizontal scroll anywhere.
 * Screenshots: test-output/e2e/service-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildUi, hasChromium, launchBrowser, login, newDesktop, newPhone, screenshot, startServer, trackErrors, type TestServer } from './support.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5c6a0e40000000049454e44ae426082', 'hex');

async function pickOption(page: Page, testId: string, text: string) {
  await page.getByTestId(testId).click();
  const option = page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: text }).first();
  await option.waitFor();
  await option.click();
}

async function noHorizontalScroll(page: Page) {
  const w = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  expect(w).toBeLessThanOrEqual(375);
}

describe.skipIf(!hasChromium)('service requests in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let requestId = 0;
  let requestNo = '';

  beforeAll(async () => {
    buildUi();
    server = await startServer();
    browser = await launchBrowser();
    // counter clerks take applications: grant request.handle to the built-in role (see docs/service-requests.md)
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    await login(page, 'admin');
    const roles = (await (await page.request.get('/api/v1/roles')).json()) as { items: Array<{ code: string; permissions: string[] }> };
    const cc = roles.items.find((r) => r.code === 'counter_clerk')!;
    if (!cc.permissions.includes('request.handle')) {
      const r = await page.request.patch('/api/v1/roles/counter_clerk', { data: { permissions: [...cc.permissions, 'request.handle'] } });
      expect(r.ok()).toBe(true);
    }
    await ctx.close();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('clerk: takes a 低压居民新装 with the ID uploaded, prints the slip, passes 受理', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'clerk');
      await page.getByTestId('side-menu').getByText('业务受理').click();
      await page.waitForURL('**/service/new');
      await page.getByTestId('apply-name').fill('赵一');
      await page.getByTestId('apply-phone').fill('13812345678');
      await page.getByTestId('apply-id').fill('330102199203041235');
      await page.getByTestId('apply-address').fill('示范县解放路8号');
      await page.getByTestId('apply-capacity').fill('8');
      await page.locator('input[type=file]').first().setInputFiles({ name: '身份证.png', mimeType: 'image/png', buffer: PNG });
      await page.getByTestId('apply-doc').first().waitFor();
      await page.getByTestId('apply-submit').click();
      await page.getByTestId('slip').waitFor();
      requestNo = (await page.getByTestId('slip-no').textContent())!.trim();
      expect(requestNo).toMatch(/^YK\d{14}$/);
      const promised = (await page.getByTestId('slip-promised').textContent())!.trim();
      expect(promised).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      await screenshot(page, 'service-slip');
      await page.getByTestId('slip-open').click();
      await page.getByTestId('req-title').waitFor();
      requestId = Number(page.url().split('/').pop());
      expect(await page.getByTestId('req-promised').textContent()).toBe(promised);
      expect(await page.getByTestId('req-stage').textContent()).toBe('受理申请');
      await page.getByTestId('doc-req-id_proof').filter({ hasText: '已上传' }).waitFor();
      await page.getByTestId('action-pass').click();
      await page.getByTestId('confirm-pass').click();
      await expect.poll(() => page.getByTestId('req-stage').textContent()).toBe('现场勘查/方案答复');
      // 现场勘查 is the engineer's: no actions for the clerk
      expect(await page.getByTestId('req-actions').count()).toBe(0);
      await screenshot(page, 'service-detail-clerk');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('engineer: queue with days left, pause and resume, a return without reason is refused, pass 现场勘查', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'engineer');
      await page.getByTestId('side-menu').getByText('工作队列').click();
      await page.waitForURL('**/service');
      const row = page.getByTestId('queue-table').locator('tr').filter({ hasText: requestNo });
      await row.waitFor();
      const tag = row.getByTestId('days-left');
      expect(await tag.getAttribute('data-sla')).toMatch(/^(ok|warning)$/);
      expect(await tag.textContent()).toMatch(/剩 \d+ 天/);
      await screenshot(page, 'service-queue');
      await row.getByTestId('queue-link').click();
      await page.getByTestId('req-actions').waitFor();
      // pause the clock: waiting for the customer
      await page.getByTestId('action-pause').click();
      await page.getByTestId('pause-note').fill('缺房产证明');
      await page.getByTestId('pause-ok').click();
      await page.getByTestId('action-resume').waitFor();
      await expect.poll(() => page.getByTestId('req-summary').getByTestId('days-left').textContent()).toBe('暂停计时');
      await page.getByTestId('timeline-item').filter({ hasText: '缺房产证明' }).waitFor();
      await page.getByTestId('action-resume').click();
      await page.getByTestId('action-pause').waitFor();
      // return without a reason: the API's message, the stage stays
      await page.getByTestId('action-return').click();
      await page.getByTestId('reason-ok').click();
      await expect.poll(() => page.getByTestId('req-error').textContent()).toContain('reason');
      await page.keyboard.press('Escape');
      expect(await page.getByTestId('req-stage').textContent()).toBe('现场勘查/方案答复');
      await page.getByTestId('action-pass').click();
      await page.getByTestId('confirm-pass').click();
      await expect.poll(() => page.getByTestId('req-stage').textContent()).toBe('签订合同');
      // the contract needs the signed contract: the error names it
      await page.getByTestId('action-pass').click();
      await page.getByTestId('confirm-pass').click();
      await expect.poll(() => page.getByTestId('req-error').textContent()).toContain('contract_signed');
      await screenshot(page, 'service-detail-engineer');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('manager: on-time report with charts (受理 and 现场勘查 done on time today → 100.0 %)', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'manager');
      await page.getByTestId('side-menu').getByText('环节及时率').click();
      await page.waitForURL('**/service/report');
      await page.getByTestId('report-stage-table').waitFor();
      // figures from the API, checked against what the two stages above must give
      const api = (await (await page.request.get(`/api/v1/service/reports/on-time?from=2026-01-01&to=2099-12-31`)).json()) as { total: { total: number; onTime: number } };
      expect(api.total).toMatchObject({ total: 2, onTime: 2 });
      await expect.poll(() => page.getByTestId('report-rate').textContent()).toBe('100.0');
      const rows = await page.getByTestId('report-stage-table').locator('tbody tr').allTextContents();
      expect(rows.join('|')).toContain('受理申请');
      expect(await page.getByTestId('report-stage-chart').locator('canvas').count()).toBe(1);
      await screenshot(page, 'service-report');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('phone 375 px: the customer applies for 过户 with documents and follows it; the engineer queue is cards', async () => {
    const ctx = await newPhone(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'customer');
      await page.goto('/service/my');
      await page.getByTestId('my-apply-toggle').click();
      await page.getByTestId('apply-type').waitFor();
      await pickOption(page, 'apply-type', '更名/过户');
      await page.getByTestId('apply-my-account').waitFor();
      await page.getByTestId('apply-newName').fill('钱二');
      await page.getByTestId('apply-newIdNumber').fill('330102198512120016');
      await page.locator('input[type=file]').first().setInputFiles({ name: 'id.png', mimeType: 'image/png', buffer: PNG });
      await pickOption(page, 'apply-doc-kind', '过户协议');
      await page.locator('input[type=file]').first().setInputFiles({ name: 'agreement.png', mimeType: 'image/png', buffer: PNG });
      await expect.poll(() => page.getByTestId('apply-doc').count()).toBe(2);
      await noHorizontalScroll(page);
      await page.getByTestId('apply-submit').click();
      await page.getByTestId('slip').waitFor();
      const no = (await page.getByTestId('slip-no').textContent())!.trim();
      await noHorizontalScroll(page);
      await screenshot(page, 'service-phone-slip');
      await page.goto('/service/my');
      const card = page.getByTestId('my-card').filter({ hasText: no });
      await card.waitFor();
      expect(await card.getByTestId('my-stage').textContent()).toBe('受理申请');
      await noHorizontalScroll(page);
      await screenshot(page, 'service-phone-my');
      await card.click();
      await page.getByTestId('req-title').waitFor();
      await page.getByTestId('doc-req-transfer_agreement').filter({ hasText: '已上传' }).waitFor();
      expect(await page.getByTestId('req-next').textContent()).toBe('签订合同');
      expect(await page.getByTestId('req-actions').count()).toBe(0);
      await noHorizontalScroll(page);
      await screenshot(page, 'service-phone-detail');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
    const ctx2 = await newPhone(browser, server.baseUrl);
    const p2 = await ctx2.newPage();
    try {
      await login(p2, 'engineer');
      await p2.goto('/service');
      await p2.getByTestId('queue-card').first().waitFor();
      expect(await p2.getByTestId('queue-table').count()).toBe(0);
      await noHorizontalScroll(p2);
      await screenshot(p2, 'service-phone-queue');
    } finally {
      await ctx2.close();
    }
  });
});

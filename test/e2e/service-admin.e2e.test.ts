/**
 * Browser journeys of the service administration (issue 7 UI) on a real `voltline serve` with
 * demo data:
 *  - desktop, administrator (journey Administrator: rule sets — holiday calendar, SLA profiles):
 *    业扩报装 → 工作队列 → 节假日日历; 2027 shows the provisional banner; edit a holiday's name,
 *    add a 调休 Saturday, a 调休 on a Monday is refused naming the field; 时限配置: a negative
 *    limit is refused naming the field, a new limit is saved, activated and used by the API;
 *  - desktop, counter clerk (journey 营业员 #1: the account 360° view with open requests): the
 *    account's 业扩工单 tab lists the open request with its stage, promised date and overdue flag,
 *    and links to the request;
 *  - phone 375 px, administrator: the calendar page without horizontal scroll.
 * Screenshots: test-output/e2e/service-admin-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildUi, hasChromium, launchBrowser, login, newDesktop, newPhone, screenshot, startServer, trackErrors, type TestServer } from './support.js';

const RES_TARIFF = 'ZJ-RES-1H1B-LT1KV';

async function pickOption(page: Page, testId: string, text: string) {
  await page.getByTestId(testId).click();
  const option = page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: text }).first();
  await option.waitFor();
  await option.click();
  await page.locator('.ant-select-dropdown:visible').waitFor({ state: 'hidden' });
}

async function noHorizontalScroll(page: Page) {
  const w = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  expect(w).toBeLessThanOrEqual(375);
}

describe.skipIf(!hasChromium)('service administration in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let accountId = 0;
  let request = { id: 0, requestNo: '', promisedOn: '' };

  beforeAll(async () => {
    buildUi();
    server = await startServer();
    browser = await launchBrowser();
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    await login(page, 'admin');
    const roles = (await (await page.request.get('/api/v1/roles')).json()) as { items: Array<{ code: string; permissions: string[] }> };
    const cc = roles.items.find((r) => r.code === 'counter_clerk')!;
    if (!cc.permissions.includes('request.handle')) {
      expect((await page.request.patch('/api/v1/roles/counter_clerk', { data: { permissions: [...cc.permissions, 'request.handle'] } })).ok()).toBe(true);
    }
    await ctx.close();
    // the clerk takes a 改类 application at the counter for an account of the own 供电所
    const c2 = await newDesktop(browser, server.baseUrl);
    const p2 = await c2.newPage();
    await login(p2, 'clerk');
    const accounts = (await (await p2.request.get('/api/v1/accounts?status=active&pageSize=20')).json()) as { items: Array<{ id: number }> };
    for (const a of accounts.items) {
      const r = await p2.request.post('/api/v1/service/requests', { data: { type: 'change_class', accountId: Number(a.id), data: { newTariffCode: RES_TARIFF } } });
      if (r.status() === 201) {
        request = (await r.json()) as typeof request;
        accountId = Number(a.id);
        break;
      }
    }
    expect(request.id).toBeGreaterThan(0);
    await c2.close();
  }, 400_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('admin (desktop): calendar — provisional 2027, edit a holiday, add a 调休 Saturday, a Monday 调休 is refused naming the field', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'admin');
      await page.getByTestId('side-menu').getByText('工作队列', { exact: true }).click();
      await page.waitForURL('**/service');
      await page.getByTestId('queue-calendar').click();
      await page.waitForURL('**/service/calendar');
      await page.getByTestId('cal-grid').waitFor();
      await pickOption(page, 'cal-year', '2027');
      await page.waitForURL('**/service/calendar?year=2027');
      await page.getByTestId('cal-provisional').waitFor();
      await expect.poll(() => page.getByTestId('cal-provisional').textContent()).toContain('暂定');
      await expect.poll(() => page.locator('[data-day="2027-02-05"]').first().getAttribute('data-kind')).toBe('holiday');
      expect(await page.locator('[data-day="2027-02-09"]').first().getAttribute('data-kind')).toBe('normal');
      expect(await page.getByTestId('cal-entry').count()).toBe(13);

      // edit the name of 端午节 (06-09) from its cell
      await page.locator('[data-testid="cal-month-6"] [data-day="2027-06-09"]').click();
      await page.getByTestId('cal-day-form').waitFor();
      await page.getByTestId('cal-day-name').fill('端午节（管理员修改）');
      await page.getByTestId('cal-day-save').click();
      await page.getByTestId('cal-day-form').waitFor({ state: 'hidden' });
      await expect.poll(() => page.locator('[data-testid="cal-entry"][data-day="2027-06-09"] [data-testid="cal-entry-name"]').textContent()).toBe('端午节（管理员修改）');

      // add a 调休 working Saturday (02-20): the kind defaults to workday on a weekend
      await page.locator('[data-testid="cal-month-2"] [data-day="2027-02-20"]').click();
      await page.getByTestId('cal-day-name').fill('春节调休（测试）');
      await page.getByTestId('cal-day-save').click();
      await page.getByTestId('cal-day-form').waitFor({ state: 'hidden' });
      await expect.poll(() => page.locator('[data-testid="cal-month-2"] [data-day="2027-02-20"]').getAttribute('data-kind')).toBe('workday');

      // a 调休 workday on a Monday is refused: the form shows the field
      await page.getByTestId('cal-add').click();
      await page.getByTestId('cal-day-day').fill('2027-02-22');
      await pickOption(page, 'cal-day-kind', '调休上班');
      await page.getByTestId('cal-day-name').fill('错误调休');
      await page.getByTestId('cal-day-save').click();
      const err = page.locator('[data-testid="cal-day-form"] .ant-form-item-explain-error').filter({ hasText: 'items.0.kind' });
      await err.waitFor();
      expect(await err.textContent()).toContain('weekday');
      await screenshot(page, 'service-admin-calendar-error');
      await page.getByTestId('cal-day-cancel').click();
      await page.getByTestId('cal-day-form').waitFor({ state: 'hidden' });
      expect(await page.locator('[data-testid="cal-month-2"] [data-day="2027-02-22"]').getAttribute('data-kind')).toBe('normal');

      // the server calendar changed (and is what the SLA clock reads)
      const cal = (await (await page.request.get('/api/v1/service/holidays?year=2027')).json()) as { items: Array<{ day: string; kind: string; name: string }> };
      expect(cal.items.find((d) => d.day === '2027-06-09')?.name).toBe('端午节（管理员修改）');
      expect(cal.items.find((d) => d.day === '2027-02-20')?.kind).toBe('workday');
      expect(cal.items.find((d) => d.day === '2027-02-22')).toBeUndefined();
      await screenshot(page, 'service-admin-calendar');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('admin (desktop): SLA profile — a negative limit is refused naming the field; a new limit is saved, active and used', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'admin');
      await page.goto('/service');
      await page.getByTestId('queue-sla').click();
      await page.waitForURL('**/service/sla');
      const row = page.locator('[data-testid="sla-profile-row"][data-code="default"]');
      await row.waitFor();
      await row.getByTestId('sla-edit').click();
      await page.getByTestId('sla-editor').waitFor();
      await page.getByTestId('sla-code').fill('e2e_strict');
      await page.getByTestId('sla-name').fill('省公司时限（测试）');
      const survey = page.getByTestId('sla-limit-new_lv_resident-survey');
      expect(await survey.inputValue()).toBe('3');
      await survey.fill('-1');
      await page.getByTestId('sla-save').click();
      await expect.poll(() => page.getByTestId('sla-errors').textContent()).toContain('limits.new_lv_resident.survey.days');
      await screenshot(page, 'service-admin-sla-error');
      await survey.fill('2');
      await page.getByTestId('sla-save').click();
      await page.getByTestId('sla-editor').waitFor({ state: 'hidden' });
      const saved = page.locator('[data-testid="sla-profile-row"][data-code="e2e_strict"]');
      await saved.getByTestId('sla-active').waitFor();
      const types = (await (await page.request.get('/api/v1/service/types')).json()) as { items: Array<{ code: string; stages: Array<{ code: string; limit: { days: number } | null }> }> };
      expect(types.items.find((x) => x.code === 'new_lv_resident')!.stages.find((s) => s.code === 'survey')!.limit!.days).toBe(2);
      // its history (audit trail)
      await saved.getByTestId('sla-history').click();
      await expect.poll(() => page.getByTestId('sla-history-list').textContent()).toContain('sla_profile.activate');
      await screenshot(page, 'service-admin-sla');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('clerk (desktop): the account 360° view lists the open request with stage, promised date and overdue flag, linking to it', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'clerk');
      await page.goto(`/archive/accounts/${accountId}`);
      await page.getByRole('tab', { name: '业扩工单' }).click();
      const item = page.locator(`[data-testid="account-request"][data-id="${request.id}"]`);
      await item.waitFor();
      const text = (await item.textContent()) ?? '';
      expect(text).toContain(request.requestNo);
      expect(text).toContain('改类');
      expect(text).toContain(request.promisedOn);
      expect(text).toContain('未超期');
      await screenshot(page, 'service-admin-account-requests');
      await item.getByTestId('account-request-link').click();
      await page.waitForURL(`**/service/${request.id}`);
      await expect.poll(() => page.locator('body').textContent()).toContain(request.requestNo);
      // the admin pages are not offered to the clerk
      await page.goto('/service');
      await page.getByTestId('queue-table').waitFor();
      expect(await page.getByTestId('queue-calendar').count()).toBe(0);
      await page.goto('/service/sla');
      await page.getByText('403').first().waitFor();
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('admin (phone 375 px): the calendar page with the provisional banner, no horizontal scroll', async () => {
    const ctx = await newPhone(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'admin');
      await page.goto('/service/calendar?year=2027');
      await page.getByTestId('cal-provisional').waitFor();
      await page.getByTestId('cal-month-12').waitFor();
      await expect.poll(() => page.getByTestId('cal-entry').count()).toBeGreaterThan(10);
      await noHorizontalScroll(page);
      // months stack: February's grid fits the screen width
      const box = await page.getByTestId('cal-month-2').boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(375);
      await screenshot(page, 'service-admin-calendar-phone');
      await page.goto('/service/sla');
      await page.locator('[data-testid="sla-profile-row"]').first().waitFor();
      await page.locator('[data-testid="sla-profile-row"]').first().getByTestId('sla-edit').click();
      await page.getByTestId('sla-editor').waitFor();
      await noHorizontalScroll(page);
      await screenshot(page, 'service-admin-sla-phone');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});

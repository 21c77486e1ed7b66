/**
 * Browser journey of the field app (移动抄表) on a phone (375×812) with a real `voltline serve`:
 *  - reader opens 计量 → 移动抄表 with no tasks: the empty state says so;
 *  - the checker generates the route's tasks for the period, assigned to the reader (API);
 *  - reader enters TOTAL (+ time-of-use) for the first task with a photo (2400×1800 → downscaled
 *    to a 1600 px JPEG) and GPS, saves: synced at once, accepted;
 *  - offline: the second task gets 门闭, the badge says 1 unsynced, the cached task list still
 *    works; back online the sync's answer is lost on the way (request stored, connection reset),
 *    the visit stays queued; 同步 re-sends it and the server answers "duplicate" — one reading;
 *  - both tasks done with their outcome, route progress 2/N; re-sync changes nothing and
 *    re-POSTing the queued clientIds stores nothing;
 *  - English switch; no horizontal scroll at 375 px.
 * Screenshots: test-output/e2e/field-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { fmtReading } from '../../web/src/modules/metering/field/queue.ts';
import { buildUi, hasChromium, launchBrowser, login, newPhone, PASSWORD, screenshot, startServer, trackErrors, type TestServer } from './support.js';

const period = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);

async function apiLogin(base: string, username: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
  expect(res.status).toBe(200);
  return String(res.headers.get('set-cookie')).split(';')[0];
}

async function apiCall(base: string, cookie: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers; bytes: Buffer }> {
  const res = await fetch(`${base}/api/v1${path}`, { method, headers: { cookie, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const bytes = Buffer.from(await res.arrayBuffer());
  let parsed: any = null;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    /* binary */
  }
  return { status: res.status, body: parsed, headers: res.headers, bytes };
}

/** Width and height from a JPEG's SOF marker. */
function jpegSize(b: Buffer): { width: number; height: number } | null {
  if (b[0] !== 0xff || b[1] !== 0xd8) return null;
  let i = 2;
  while (i < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    const len = b.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    i += 2 + len;
  }
  return null;
}

/** scaled 10^2 arithmetic on decimal strings (no floats) */
const cents = (v: string) => BigInt(Math.round(Number(v) * 100));
const fromCents = (c: bigint) => `${c / 100n}.${String(c % 100n).padStart(2, '0')}`;

/**
 * Plausible values for a task: TOTAL advances to the middle of the expected range (100 kWh when
 * there is none), split over the time-of-use registers so they add up; others unchanged.
 */
function valuesFor(task: any): { values: Record<string, string>; advance: bigint; tou: string[] } {
  const lastTotal = task.lastReadings.TOTAL?.value ?? '0';
  const advance = task.expectedTotal ? (cents(task.expectedTotal.low) + cents(task.expectedTotal.high)) / 2n - cents(lastTotal) : 10000n;
  const values: Record<string, string> = { TOTAL: fromCents(cents(lastTotal) + advance) };
  const tou = task.meter.registers.filter((r: string) => ['SHARP', 'PEAK', 'FLAT', 'VALLEY'].includes(r));
  let left = advance;
  tou.forEach((r: string, i: number) => {
    const part = i === tou.length - 1 ? left : advance / BigInt(tou.length);
    left -= part;
    values[r] = fromCents(cents(task.lastReadings[r]?.value ?? '0') + part);
  });
  for (const r of task.meter.registers) if (!values[r]) values[r] = task.lastReadings[r]?.value ?? '0';
  return { values, advance, tou };
}

/** An account's readings of the current billing period (the demo data has a year of history before). */
async function periodReadingsOf(base: string, cookie: string, accountId: number): Promise<any[]> {
  return (await apiCall(base, cookie, 'GET', `/accounts/${accountId}/readings?pageSize=100`)).body.items.filter((r: any) => r.billingPeriod === period);
}

async function noHorizontalScroll(page: Page) {
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
  expect(overflow).toBeLessThanOrEqual(1);
}

describe.skipIf(!hasChromium)('field app (移动抄表) in Chromium', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    buildUi();
    // VOLTLINE_E2E_BASE_URL: run against an already running server (development only)
    const external = process.env.VOLTLINE_E2E_BASE_URL;
    server = external ? ({ baseUrl: external, stop: async () => undefined } as unknown as TestServer) : await startServer();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('reader on a phone: empty state, read a task with photo and GPS, 门闭 offline, sync with a lost answer (duplicate), English', async () => {
    const base = server.baseUrl;
    const readerCookie = await apiLogin(base, 'reader');
    const me = (await apiCall(base, readerCookie, 'GET', '/auth/me')).body.user;
    const checker = await apiLogin(base, 'checker');
    const routes = (await apiCall(base, checker, 'GET', '/reading-routes')).body.items.filter((r: any) => r.orgUnitId === me.orgUnit.id);
    expect(routes.length).toBeGreaterThan(0);
    const route = routes[0];

    // the empty state: a user with reading.write but no tasks assigned (admin)
    {
      const actx = await newPhone(browser, base);
      const apage = await actx.newPage();
      try {
        await login(apage, 'admin');
        await apage.goto('/metering/field');
        await apage.getByTestId('field-empty').waitFor();
        expect(await apage.getByTestId('field-empty').textContent()).toContain('没有分配给您的抄表任务');
        await apage.getByTestId('field-show-all').waitFor(); // fallback: all tasks in my scope
        await noHorizontalScroll(apage);
        await screenshot(apage, 'field-00-empty', false);
      } finally {
        await actx.close();
      }
    }

    // the checker generates the route's tasks for the period, assigned to the reader (idempotent:
    // the demo data may have them already)
    const gen = await apiCall(base, checker, 'POST', '/reading-tasks/generate', { period, routeIds: [route.id], assignedTo: me.id });
    expect(gen.status).toBe(200);
    const before = (await apiCall(base, readerCookie, 'GET', `/reading-routes/${route.id}/tasks?period=${period}&mine=true`)).body;
    const total = before.items.length;
    expect(total).toBeGreaterThan(2);
    const pending = before.items.filter((x: any) => x.status === 'pending');
    const done0 = total - pending.length;

    const ctx = await newPhone(browser, base);
    await ctx.grantPermissions(['geolocation']);
    await ctx.setGeolocation({ latitude: 30.274123, longitude: 120.155071, accuracy: 12 });
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'reader');
      // 计量 → 移动抄表 from the phone menu drawer
      await page.getByTestId('menu-toggle').click();
      await page.getByTestId('side-menu').getByText('移动抄表').click();
      await page.waitForURL('**/metering/field');
      await page.getByTestId(`field-route-${route.id}`).click();
      await page.getByTestId('field-task').first().waitFor();
      const progress = page.getByTestId(`field-route-${route.id}`).getByTestId('field-route-progress');
      expect(await progress.getAttribute('data-done')).toBe(String(done0));
      expect(await progress.getAttribute('data-total')).toBe(String(total));
      const cards = page.getByTestId('field-task');
      expect(await cards.nth(0).getAttribute('data-task-id')).toBe(String(before.items[0].taskId)); // walking order
      expect(await cards.nth(1).getAttribute('data-task-id')).toBe(String(before.items[1].taskId));
      expect(await page.getByTestId('field-unsynced').textContent()).toBe('已全部同步');
      await noHorizontalScroll(page);
      await screenshot(page, 'field-01-tasks', false);

      // ---- first task: TOTAL + time-of-use values, photo, GPS ------------------------------
      const t1 = pending[0];
      const card1 = page.locator(`[data-testid="field-task"][data-task-id="${t1.taskId}"]`);
      await card1.click();
      await page.getByTestId('field-task-page').waitFor();
      expect(await page.getByTestId('field-task-accountno').textContent()).toBe(t1.account.accountNo);
      expect(await page.getByTestId('field-task-meter').textContent()).toBe(t1.meter.assetNo);
      for (const r of t1.meter.registers) await page.getByTestId(`field-reg-${r}`).waitFor();
      expect(await page.getByTestId('field-reg-TOTAL').getAttribute('inputmode')).toBe('decimal');
      const lastTotal = t1.lastReadings.TOTAL?.value ?? '0';
      expect(await page.getByTestId('field-last-TOTAL').textContent()).toContain(t1.lastReadings.TOTAL ? fmtReading(lastTotal, t1.meter.decimals) : '无上次示数');
      const { values, advance, tou } = valuesFor(t1);
      // a wrong value is explained under the field and blocks; the fix clears it
      await page.getByTestId('field-reg-TOTAL').fill('12345678');
      await page.getByTestId('field-save').click();
      await expect.poll(() => page.getByTestId('field-reg-error-TOTAL').textContent()).toContain('整数位最多');
      for (const [r, v] of Object.entries(values)) await page.getByTestId(`field-reg-${r}`).fill(v);
      expect(await page.getByTestId('field-reg-error-TOTAL').count()).toBe(0);
      if (tou.length) expect(await page.getByTestId('field-tou').textContent()).toContain(`分时增量合计 ${fromCents(advance)}`);
      // photo: a 2400×1800 picture drawn in the page, chosen in the file input (camera)
      const png = await page.evaluate<string>(`(() => {
        const c = document.createElement('canvas');
        c.width = 2400;
        c.height = 1800;
        const g = c.getContext('2d');
        g.fillStyle = '#234';
        g.fillRect(0, 0, 2400, 1800);
        g.fillStyle = '#fff';
        g.font = 'bold 240px monospace';
        g.fillText('05234.56', 300, 1000);
        return c.toDataURL('image/png').split(',')[1];
      })()`);
      await page.getByTestId('field-photo-input').setInputFiles({ name: 'meter.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64') });
      await page.getByTestId('field-photo-preview').waitFor();
      expect(await page.getByTestId('field-photo-info').textContent()).toContain('1600×1200');
      await expect.poll(() => page.getByTestId('field-gps').getAttribute('data-state')).toBe('ok');
      expect(await page.getByTestId('field-gps').textContent()).toContain('30.27412, 120.15507');
      await noHorizontalScroll(page);
      await screenshot(page, 'field-02-task-form');
      await page.getByTestId('field-save').click();
      await page.waitForURL(/\/metering\/field\?route=/);
      // online: saved and synced at once
      await expect.poll(() => card1.getAttribute('data-state'), { timeout: 30_000 }).toBe('synced');
      expect(await card1.getByTestId('field-outcome-TOTAL').getAttribute('data-status')).toBe('accepted');
      await expect.poll(() => progress.getAttribute('data-done')).toBe(String(done0 + 1));

      // this period's readings of the account (the demo data has a year of history before)
      const periodReadings = async (accountId: number) =>
        (await apiCall(base, readerCookie, 'GET', `/accounts/${accountId}/readings?pageSize=100`)).body.items.filter((r: any) => r.billingPeriod === period);
      const h1 = await periodReadings(t1.account.id);
      const total1 = h1.filter((r: any) => r.register === 'TOTAL');
      expect(total1).toHaveLength(1);
      expect(total1[0]).toMatchObject({ value: `${values.TOTAL}00`, source: 'phone', status: 'accepted', gps: { lat: 30.274123, lon: 120.155071 } });
      expect(h1).toHaveLength(t1.meter.registers.length);
      expect(total1[0].photoRef).toMatch(/^photo:[0-9a-f-]{36}$/);
      const photo = await apiCall(base, readerCookie, 'GET', `/reading-photos/${total1[0].photoRef.slice(6)}`);
      expect(photo.status).toBe(200);
      expect(photo.headers.get('content-type')).toBe('image/jpeg');
      expect(jpegSize(photo.bytes)).toEqual({ width: 1600, height: 1200 });
      expect(photo.bytes.length).toBeLessThan(600 * 1024);

      // ---- offline: second task 门闭 -------------------------------------------------------
      const t2 = pending[1];
      await page.locator('[data-testid="field-page"][data-loading="false"]').waitFor(); // the refresh after the sync is done
      await ctx.setOffline(true);
      await expect.poll(() => page.getByTestId('field-online').textContent()).toBe('离线');
      // the task list comes from the device's cache when the server cannot be reached
      await page.getByTestId('field-reload').click();
      await page.getByTestId('field-cached').waitFor();
      await page.locator(`[data-testid="field-task"][data-task-id="${t2.taskId}"]`).click();
      await page.getByTestId('field-task-page').waitFor();
      await page.getByTestId('field-exception-DOOR_LOCKED').click();
      expect(await page.getByTestId('field-reg-TOTAL').count()).toBe(0); // no values needed
      await page.getByTestId('field-save').click();
      await page.waitForURL(/\/metering\/field\?route=/);
      await expect.poll(() => page.getByTestId('field-unsynced').textContent()).toBe('1 条未同步');
      const card2 = page.locator(`[data-testid="field-task"][data-task-id="${t2.taskId}"]`);
      expect(await card2.getAttribute('data-state')).toBe('queued');
      await expect.poll(() => progress.getAttribute('data-done')).toBe(String(done0 + 2)); // counted, waiting to sync
      await noHorizontalScroll(page);
      await screenshot(page, 'field-03-offline-queued', false);

      // ---- back online; the answer of the first sync is lost (stored on the server) ---------
      let lost: any = null;
      await page.route('**/api/v1/readings', async (r) => {
        if (r.request().method() !== 'POST' || lost) return r.continue();
        const res = await r.fetch();
        lost = await res.json();
        await r.abort('connectionreset');
      });
      await ctx.setOffline(false); // the `online` event starts a sync
      await expect.poll(() => lost !== null, { timeout: 30_000 }).toBe(true);
      expect(lost.summary).toMatchObject({ stored: 1, duplicates: 0 });
      await page.getByTestId('field-last-sync').waitFor();
      await expect.poll(() => page.getByTestId('field-last-sync').textContent()).toContain('上次同步失败');
      expect(await page.getByTestId('field-unsynced').textContent()).toBe('1 条未同步');
      await page.unroute('**/api/v1/readings');
      await page.getByTestId('field-sync').click();
      await expect.poll(() => page.getByTestId('field-unsynced').textContent(), { timeout: 30_000 }).toBe('已全部同步');
      await expect.poll(() => card2.getAttribute('data-state')).toBe('synced');
      await card2.getByTestId('field-duplicate').waitFor(); // the server said: already stored
      expect(await card2.getByTestId('field-outcome-TOTAL').getAttribute('data-status')).toBe('pending_review');
      expect(await card2.getByTestId('field-outcome').textContent()).toContain('门闭');
      expect(await card1.getAttribute('data-state')).toBe('synced');
      await expect.poll(() => progress.getAttribute('data-done')).toBe(String(done0 + 2));
      await noHorizontalScroll(page);
      await screenshot(page, 'field-04-synced', false);

      const h2 = await periodReadings(t2.account.id);
      expect(h2).toHaveLength(1); // stored once although sent twice
      expect(h2[0]).toMatchObject({ register: 'TOTAL', value: null, exceptionCode: 'DOOR_LOCKED', status: 'pending_review', source: 'phone' });
      const after = (await apiCall(base, readerCookie, 'GET', `/reading-routes/${route.id}/tasks?period=${period}&mine=true`)).body;
      expect(after.items.find((x: any) => x.taskId === t1.taskId).status).toBe('read');
      expect(after.items.find((x: any) => x.taskId === t2.taskId)).toMatchObject({ status: 'exception', exceptionCode: 'DOOR_LOCKED' });

      // ---- re-sync changes nothing -----------------------------------------------------------
      await page.getByTestId('field-sync').click();
      await page.getByText('没有需要同步的记录').waitFor();
      // re-send what the phone has queued (same clientIds): the server answers duplicate, stores nothing
      const queued = await page.evaluate<any[]>(`new Promise((resolve, reject) => {
        const r = indexedDB.open('voltline-field');
        r.onsuccess = () => {
          const q = r.result.transaction('visits', 'readonly').objectStore('visits').getAll();
          q.onsuccess = () => resolve(q.result);
          q.onerror = () => reject(q.error);
        };
        r.onerror = () => reject(r.error);
      })`);
      expect(queued.map((v) => v.state).sort()).toEqual(['synced', 'synced']);
      const items = queued.map((v) => ({ clientId: v.clientId, accountId: v.accountId, meterId: v.meterId, readAt: v.readAt, ...(Object.keys(v.readings).length ? { readings: v.readings } : {}), exceptionCode: v.exceptionCode, billingPeriod: v.period }));
      const resend = await apiCall(base, readerCookie, 'POST', '/readings', { items, source: 'phone' });
      expect(resend.status).toBe(200);
      expect(resend.body.summary.stored).toBe(0);
      expect(resend.body.items.every((i: any) => i.duplicate)).toBe(true);
      expect(await periodReadings(t1.account.id)).toHaveLength(t1.meter.registers.length);
      expect(await periodReadings(t2.account.id)).toHaveLength(1);

      // the synced task opens read-only with its outcome
      await card1.click();
      await page.getByTestId('field-result').waitFor();
      expect(await page.getByTestId('field-outcome-TOTAL').getAttribute('data-status')).toBe('accepted');
      expect(await page.getByTestId('field-save').count()).toBe(0);
      await noHorizontalScroll(page);

      // ---- English -------------------------------------------------------------------------
      await page.getByTestId('lang-switch').click();
      await expect.poll(() => page.getByTestId('field-result').textContent()).toContain('Sync result');
      expect(await page.getByTestId('field-outcome-TOTAL').textContent()).toContain('Total · Accepted');
      await page.getByTestId('field-back').click();
      await page.getByTestId('field-page').waitFor();
      expect(await page.getByTestId('field-unsynced').textContent()).toBe('All synced');
      expect(await page.getByTestId('field-online').textContent()).toBe('Online');
      expect(await page.getByTestId('field-sync').textContent()).toContain('Sync');
      expect(await card2.getByTestId('field-outcome').textContent()).toContain('Door locked');
      expect(await progress.textContent()).toBe(`Read ${done0 + 2}/${total}`);
      await noHorizontalScroll(page);
      await screenshot(page, 'field-05-english', false);
      await page.getByTestId('lang-switch').click();
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('a rejected visit stays editable: with the phone clock 2 h ahead the server refuses it (FUTURE_TIMESTAMP); the correction is accepted', async () => {
    const base = server.baseUrl;
    const readerCookie = await apiLogin(base, 'reader');
    const me = (await apiCall(base, readerCookie, 'GET', '/auth/me')).body.user;
    const route = (await apiCall(base, readerCookie, 'GET', '/reading-routes')).body.items.filter((r: any) => r.orgUnitId === me.orgUnit.id)[0];
    const list = (await apiCall(base, readerCookie, 'GET', `/reading-routes/${route.id}/tasks?period=${period}&mine=true`)).body.items;
    const t3 = list.filter((x: any) => x.status === 'pending')[0];
    expect(t3).toBeTruthy();
    const { values } = valuesFor(t3);

    const ctx = await newPhone(browser, base);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'reader');
      await page.goto('/metering/field');
      await page.getByTestId(`field-route-${route.id}`).click();
      const card = page.locator(`[data-testid="field-task"][data-task-id="${t3.taskId}"]`);
      await page.clock.setFixedTime(new Date(Date.now() + 2 * 3_600_000)); // the phone's clock is wrong
      await card.click();
      for (const [r, v] of Object.entries(values)) await page.getByTestId(`field-reg-${r}`).fill(v);
      await page.getByTestId('field-save').click();
      await page.waitForURL(/\/metering\/field\?route=/);
      await expect.poll(() => card.getAttribute('data-state'), { timeout: 30_000 }).toBe('rejected');
      expect(await card.getByTestId('field-outcome-TOTAL').getAttribute('data-status')).toBe('rejected');
      expect(await card.getByTestId('field-outcome').textContent()).toContain('抄表时间晚于当前时间');
      expect(await page.getByTestId('field-unsynced').textContent()).toBe('已全部同步'); // answered, not waiting
      expect(await periodReadingsOf(base, readerCookie, t3.account.id)).toHaveLength(0);
      await screenshot(page, 'field-06-rejected', false);

      // the clock is fixed; open the task, correct and resubmit
      await page.clock.setFixedTime(new Date());
      await card.click();
      await page.getByTestId('field-result').waitFor();
      await page.getByTestId('field-edit').click();
      expect(await page.getByTestId('field-reg-TOTAL').inputValue()).toBe(values.TOTAL); // kept for editing
      await page.getByTestId('field-save').click();
      await page.waitForURL(/\/metering\/field\?route=/);
      await expect.poll(() => card.getAttribute('data-state'), { timeout: 30_000 }).toBe('synced');
      expect(await card.getByTestId('field-outcome-TOTAL').getAttribute('data-status')).toBe('accepted');
      const stored = await periodReadingsOf(base, readerCookie, t3.account.id);
      expect(stored).toHaveLength(t3.meter.registers.length);
      expect(stored.find((r: any) => r.register === 'TOTAL').status).toBe('accepted'); // (a TOU register may be flagged for review by its own history)
      await noHorizontalScroll(page);
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});

/**
 * Browser journeys of the back-office metering pages on a real `voltline serve` (demo data):
 *  - checker (desktop 1280): 抄表段管理 — assigns the reader and a reading day to a 城关 route,
 *    generates this period's tasks (created/total shown, tasks assigned to the reader), sees the
 *    counts and the route's task list;
 *  - readings submitted through the API give one account a SPIKE (history of two periods, then
 *    a tenfold advance) and another a SPIKE too; in 示数复核 the checker edits the first with a
 *    reason and estimates the second (previous period basis: the estimated value is shown);
 *  - reader: 抄表数据导入 — a CSV with good rows and an unknown meter: the report shows
 *    accepted and rejected with the reason; export; the same file again: duplicates;
 *  - phone 375 px: the three pages work without horizontal page scroll.
 * Screenshots: test-output/e2e/metering-backoffice-*.png.
 */
import fs from 'node:fs';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { writeXlsx } from '../../src/domain/formats/xlsx.js';
import { buildUi, hasChromium, launchBrowser, login, newPhone, PASSWORD, screenshot, startServer, trackErrors, type TestServer } from './support.js';

const period = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);
const nextPeriod = () => {
  const [y, m] = period().split('-').map(Number);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
};
const DAY = 86_400_000;

interface Task {
  taskId: number;
  status: string;
  assignedTo: number | null;
  account: { id: number; accountNo: string; name: string };
  meter: { id: number; assetNo: string; registers: string[]; digits: number; multiplier: string };
  lastReadings: Record<string, { value: string; readAt: string }>;
}

describe.skipIf(!hasChromium)('metering back office (抄表段管理, 示数复核, 抄表数据导入) in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const cookies = new Map<string, string>();

  async function apiAs(user: string, method: string, url: string, body?: unknown): Promise<any> {
    if (!cookies.has(user)) {
      const r = await fetch(`${server.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user, password: PASSWORD }) });
      expect(r.status).toBe(200);
      cookies.set(user, String(r.headers.get('set-cookie')).split(';')[0]);
    }
    const r = await fetch(`${server.baseUrl}/api/v1${url}`, {
      method,
      headers: { cookie: cookies.get(user)!, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await r.json().catch(() => null);
    if (!r.ok) throw new Error(`${method} ${url} -> ${r.status} ${JSON.stringify(json)}`);
    return json;
  }

  async function desktop(): Promise<BrowserContext> {
    const ctx = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 800 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', acceptDownloads: true });
    ctx.setDefaultTimeout(60_000);
    ctx.setDefaultNavigationTimeout(60_000);
    return ctx;
  }

  const noHorizontalScroll = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');

  let route: { id: number; code: string; name: string; accountCount: number; version: number };
  let readerId = 0;
  let tasks: Task[] = [];
  const used = new Set<number>();

  interface Hist { value: number; at: number }
  const lastOf = (x: Task): Hist => ({ value: Number(x.lastReadings.TOTAL.value), at: Date.parse(x.lastReadings.TOTAL.readAt) });
  /** last read more than a week ago, plenty of room below the register's wrap */
  const isCandidate = (x: Task) => !!x.lastReadings.TOTAL && Date.now() - lastOf(x).at > 7 * DAY && lastOf(x).value + 200_000 < 10 ** x.meter.digits;
  /** the meter's accepted/estimated TOTAL readings, newest first; null when anything is pending review or newer */
  async function history(x: Task): Promise<Hist[] | null> {
    const all = (await apiAs('checker', 'GET', `/accounts/${x.account.id}/readings?register=TOTAL&pageSize=20`)).items;
    if (all.some((r: any) => r.status === 'pending_review')) return null;
    const h = all.filter((r: any) => r.meterId === x.meter.id && ['accepted', 'estimated'].includes(r.status) && r.value !== null).map((r: any) => ({ value: Number(r.value), at: Date.parse(r.readAt) }));
    if (all.length && all[0].meterId !== x.meter.id) return null;
    return h;
  }
  /** average daily advance over up to three periods (what SPIKE/DROP compare with) */
  const avgRate = (h: Hist[]): number | null => {
    const k = Math.min(3, h.length - 1);
    if (k < 1) return null;
    const r = (h[0].value - h[k].value) / ((h[0].at - h[k].at) / DAY);
    return r >= 0 && r < 500 ? r : null;
  };

  beforeAll(async () => {
    buildUi();
    server = await startServer();
    browser = await launchBrowser();
    const list = await apiAs('checker', 'GET', '/metering/routes');
    route = list.items.find((r: any) => r.orgUnit.name === '城关供电所' && r.accountCount > 20);
    expect(route).toBeTruthy();
    // start from a route without a reader (the demo data may have assigned one)
    const full = await apiAs('checker', 'GET', `/metering/routes/${route.id}`);
    if (full.reader) await apiAs('checker', 'PATCH', `/metering/routes/${route.id}`, { version: full.version, readerUserId: null });
    route = { ...route, ...(await apiAs('checker', 'GET', `/metering/routes/${route.id}`)) };
    const readers = await apiAs('checker', 'GET', `/metering/readers?routeId=${route.id}`);
    readerId = readers.items.find((u: any) => u.username === 'reader').id;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('checker assigns reader and reading day, generates tasks and sees the counts', async () => {
    const ctx = await desktop();
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'checker');
      await page.getByTestId('side-menu').getByText('抄表段管理').click();
      await page.waitForURL('**/metering/routes');
      await page.getByTestId('route-table').waitFor();
      await page.getByTestId('route-search').locator('input').fill(route.code);
      await page.getByTestId('route-search').locator('input').press('Enter');
      const row = page.locator('tr.ant-table-row', { hasText: route.code });
      await expect.poll(() => page.locator('tr.ant-table-row').count()).toBe(1);
      expect(await row.getByTestId('route-reader-cell').textContent()).toBe('未指定');
      expect(await row.getByTestId('route-accounts').textContent()).toBe(String(route.accountCount));
      await screenshot(page, 'metering-backoffice-01-routes');

      // edit: reading day 15, reader 王强
      await row.getByTestId('route-edit').click();
      await page.locator('#readingDay').fill('15');
      await page.locator('.ant-drawer .ant-form-item', { hasText: '抄表员' }).locator('.ant-select').click();
      await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: 'reader' }).first().click();
      await screenshot(page, 'metering-backoffice-02-edit-drawer');
      await page.getByTestId('route-save').click();
      await expect.poll(() => row.getByTestId('route-reader-cell').textContent()).toContain('王强');
      expect(await row.getByTestId('route-reading-day-cell').textContent()).toBe('每月 15 日');
      const saved = (await apiAs('checker', 'GET', `/metering/routes/${route.id}`));
      expect(saved).toMatchObject({ readingDay: 15, version: route.version + 1, reader: { id: readerId } });

      // a bad reading day is refused in the form; nothing saved
      await row.getByTestId('route-edit').click();
      await page.locator('#readingDay').fill('');
      await page.getByTestId('route-save').click();
      await page.locator('.ant-drawer .ant-form-item-explain-error').first().waitFor();
      await page.keyboard.press('Escape');
      await page.locator('.ant-drawer').waitFor({ state: 'hidden' });

      // generate next period's tasks for the route (the period picker), assigned to its reader
      const next = nextPeriod();
      const before = (await apiAs('checker', 'GET', `/metering/routes?period=${next}`)).items.find((r: any) => r.id === route.id).tasks.total;
      const periodInput = page.getByTestId('route-period').locator('input');
      await periodInput.click();
      await periodInput.fill(next);
      await periodInput.press('Enter');
      await expect.poll(() => periodInput.inputValue()).toBe(next);
      await row.locator('.ant-checkbox').click();
      expect(await page.getByTestId('route-selected').textContent()).toBe('已选 1 个抄表段');
      await page.getByTestId('route-generate').click();
      await page.getByTestId('route-gen-result').waitFor();
      const createdText = await page.getByTestId('route-gen-created').textContent();
      const [created, total] = createdText!.split('/').map(Number);
      expect(total).toBeGreaterThan(0);
      expect(created).toBe(total - before);
      expect(await page.getByTestId('route-gen-result').textContent()).toContain('王强');
      expect(await page.getByTestId('route-gen-result').textContent()).toContain(`${next}-15`);
      await expect.poll(() => row.getByTestId('route-progress-text').textContent()).toBe(`已抄 0/${total}`);
      const t = await apiAs('checker', 'GET', `/reading-routes/${route.id}/tasks?period=${next}`);
      tasks = t.items;
      expect(tasks).toHaveLength(total);
      expect(t.items.every((x: any) => x.dueDate === `${next}-15`)).toBe(true);
      expect(tasks.every((x) => x.assignedTo === readerId && x.status === 'pending')).toBe(true);
      await screenshot(page, 'metering-backoffice-03-generated');

      // generating again creates nothing new
      await page.getByTestId('route-generate').click();
      await expect.poll(() => page.getByTestId('route-gen-created').textContent()).toBe(`0/${total}`);

      // the route's tasks
      await row.getByTestId('route-code').click();
      await page.getByTestId('route-task-table').waitFor();
      await expect.poll(() => page.getByTestId('route-task-count-pending').textContent()).toBe(`待抄 ${total}`);
      expect(await page.getByTestId('route-task-count-total').textContent()).toBe(`总数 ${total}`);
      expect(await page.getByTestId('route-task-table').textContent()).toContain(tasks[0].account.accountNo);
      await screenshot(page, 'metering-backoffice-04-route-tasks');
      await page.keyboard.press('Escape');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('checker edits a SPIKE reading with a reason and estimates another in 示数复核', async () => {
    // this period's tasks exist (generation is idempotent), so the spikes mark two of them read
    await apiAs('checker', 'POST', '/reading-tasks/generate', { period: period(), routeIds: [route.id] });
    const now0 = (await apiAs('checker', 'GET', `/metering/routes?period=${period()}`)).items.find((r: any) => r.id === route.id).tasks;
    // two accounts of the route with a clean TOTAL history (the demo data has months of it; without
    // it, two readings are submitted first), a spike at 10x the usual daily advance
    const picked: Array<{ x: Task; h0: Hist; h1: Hist; rate: number }> = [];
    for (const x of tasks) {
      if (picked.length === 2) break;
      if (!isCandidate(x)) continue;
      let h = await history(x);
      if (!h) continue;
      if (h.length < 2) {
        const L = lastOf(x);
        const gap = (Date.now() - L.at) / 3;
        const v = (k: number, adv: number) => ({ clientId: crypto.randomUUID(), meterId: x.meter.id, readAt: new Date(L.at + k * gap).toISOString(), readings: { TOTAL: (L.value + adv).toFixed(2) } });
        const own = await apiAs('reader', 'POST', '/readings', { items: [v(1, 100), v(2, 200)] });
        expect(own.items.flatMap((i: any) => i.readings).every((r: any) => r.status === 'accepted')).toBe(true);
        h = (await history(x))!;
      }
      const rate = avgRate(h);
      if (rate === null) continue;
      picked.push({ x, h0: h[0], h1: h[1], rate });
    }
    expect(picked).toHaveLength(2);
    const spikeAt = new Date(Date.now() - 5 * 60_000);
    const spikeValue = (p: (typeof picked)[number]) => (p.h0.value + Math.max(p.rate * 10, 20) * ((spikeAt.getTime() - p.h0.at) / DAY) + 100).toFixed(2);
    const spikes = await apiAs('reader', 'POST', '/readings', { items: picked.map((p) => ({ clientId: crypto.randomUUID(), meterId: p.x.meter.id, readAt: spikeAt.toISOString(), readings: { TOTAL: spikeValue(p) } })) });
    const [sa, sb] = spikes.items.map((i: any) => i.readings[0]);
    for (const s of [sa, sb]) {
      expect(s.status).toBe('pending_review');
      expect(s.ruleResults.map((r: any) => r.rule)).toContain('SPIKE');
    }
    const [pa, pb] = picked;
    const a = pa.x, b = pb.x;
    used.add(a.account.id);
    used.add(b.account.id);
    // §5.3 previous-period estimate: last reading + the previous period's advance, scaled to this period's length
    const basisDays = (pb.h0.at - pb.h1.at) / DAY;
    const days = (spikeAt.getTime() - pb.h0.at) / DAY;
    const ratio = Math.abs(days - basisDays) < 1.5 ? 1 : days / basisDays;
    const expectedEstimate = pb.h0.value + Math.trunc((pb.h0.value - pb.h1.value) * ratio * 100) / 100;

    const ctx = await desktop();
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'checker');
      // the routes list counts the two read tasks of this period
      await page.goto('/metering/routes');
      await page.getByTestId('route-search').locator('input').fill(route.code);
      await page.getByTestId('route-search').locator('input').press('Enter');
      await expect.poll(() => page.locator('tr.ant-table-row', { hasText: route.code }).getByTestId('route-progress-text').textContent()).toContain(`已抄 ${now0.read + now0.exception + 2}/${now0.total}`);

      await page.getByTestId('side-menu').getByText('示数复核').click();
      await page.waitForURL('**/metering/review');
      await page.getByTestId('review-rule-filter').click();
      await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: 'SPIKE' }).first().click();
      await page.waitForURL('**rule=SPIKE**');
      // the demo data has its own review cases (oldest first): this route, 100 per page
      await page.goto(`/metering/review?routeId=${route.id}&rule=SPIKE&pageSize=100`);
      await page.getByTestId('review-table').waitFor();
      expect(await page.getByTestId('review-rule-filter').textContent()).toContain('SPIKE');
      const rowA = page.locator('tr.ant-table-row', { hasText: a.account.accountNo });
      const rowB = page.locator('tr.ant-table-row', { hasText: b.account.accountNo });
      await rowA.waitFor();
      expect(await rowA.getByTestId('review-messages').textContent()).toMatch(/突增/);
      expect(Number(await rowA.getByTestId('review-value-cell').textContent())).toBe(Number(sa.value));
      expect(await rowA.getByTestId('review-account').getAttribute('href')).toBe(`/archive/accounts/${a.account.id}`);
      await screenshot(page, 'metering-backoffice-05-review-queue');

      // edit without a reason: refused in the form
      await rowA.getByTestId('review-edit').click();
      const corrected = (pa.h0.value + 10).toFixed(2);
      await page.getByTestId('review-value').fill(corrected);
      await page.getByTestId('review-modal-ok').click();
      await page.locator('.ant-modal .ant-form-item-explain-error', { hasText: '请填写原因' }).waitFor();
      // a bad value: the server's message is shown
      await page.getByTestId('review-value').fill('abc');
      await page.getByTestId('review-reason').fill('抄表员读错一位，现场复核');
      await page.getByTestId('review-modal-ok').click();
      await page.getByTestId('review-modal-error').waitFor();
      expect(await page.getByTestId('review-modal-error').textContent()).toMatch(/value/);
      await screenshot(page, 'metering-backoffice-06-edit-error');
      await page.getByTestId('review-value').fill(corrected);
      await page.getByTestId('review-modal-ok').click();
      await page.locator('.ant-message', { hasText: '已修改' }).waitFor();
      await rowA.waitFor({ state: 'detached' });
      const histA = await apiAs('checker', 'GET', `/accounts/${a.account.id}/readings?register=TOTAL`);
      const edited = histA.items.find((r: any) => r.id === sa.readingId);
      expect(edited).toMatchObject({ status: 'accepted', reviewReason: '抄表员读错一位，现场复核' });
      expect(Number(edited.originalValue)).toBe(Number(sa.value));
      expect(Number(edited.value)).toBe(Number(corrected));
      expect(edited.qualityFlags).toContain('EDITED');

      // estimate B on the previous period: previous reading + the previous period's advance (100)
      await rowB.getByTestId('review-estimate').click();
      await page.getByTestId('review-modal-ok').click();
      await page.getByTestId('review-estimate-result').waitFor();
      const text = await page.getByTestId('review-estimate-result').textContent();
      const estimated = Number(/估抄示数 ([\d.]+)/.exec(text!)![1]);
      expect(Math.abs(estimated - expectedEstimate)).toBeLessThanOrEqual(0.02);
      await screenshot(page, 'metering-backoffice-07-estimated');
      await page.getByTestId('review-modal-close').click();
      await rowB.waitFor({ state: 'detached' });
      const histB = await apiAs('checker', 'GET', `/accounts/${b.account.id}/readings?register=TOTAL`);
      expect(histB.items.find((r: any) => r.id === sb.readingId)).toMatchObject({ status: 'estimated', source: 'estimate' });
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('reader imports a CSV: accepted and rejected rows with reasons; the same file again gives duplicates', async () => {
    // three other accounts, each read at its usual daily advance (no spike, no drop)
    const good: Array<{ x: Task; value: string }> = [];
    for (const x of [...tasks].reverse()) {
      if (good.length === 3) break;
      if (used.has(x.account.id) || !isCandidate(x)) continue;
      const h = await history(x);
      if (!h) continue;
      const rate = h.length >= 2 ? avgRate(h) : 0;
      if (rate === null) continue;
      const h0 = h[0] ?? lastOf(x);
      good.push({ x, value: (h0.value + rate * ((Date.now() - 20 * 60_000 - h0.at) / DAY)).toFixed(2) });
    }
    expect(good).toHaveLength(3);
    const readAt = new Date(Date.now() - 20 * 60_000 + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
    const csv = [
      'accountNo,meterAssetNo,register,readAt,value,exceptionCode',
      ...good.map(({ x, value }) => `${x.account.accountNo},${x.meter.assetNo},TOTAL,${readAt},${value},`),
      `,ZZ0000009999,TOTAL,${readAt},123.45,`,
    ].join('\n') + '\n';
    const ctx = await desktop();
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'reader');
      await page.getByTestId('side-menu').getByText('抄表数据导入').click();
      await page.waitForURL('**/metering/import');
      // the CSV template downloads
      const [tpl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('import-template-csv').click()]);
      expect(fs.readFileSync((await tpl.path())!, 'utf8')).toContain('accountNo,meterAssetNo,register,readAt,value,exceptionCode');

      await page.locator('input[type=file]').setInputFiles({ name: 'readings-e2e.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
      expect(await page.getByTestId('import-file-name').textContent()).toBe('readings-e2e.csv');
      await page.getByTestId('import-upload').click();
      await page.getByTestId('import-report').waitFor();
      const stat = async (id: string) => Number((await page.getByTestId(id).locator('.ant-statistic-content-value').textContent())!.replace(/,/g, ''));
      expect(await stat('import-sum-rows')).toBe(good.length + 1);
      // good rows are stored: accepted, or held for review if VEE finds them unusual against history
      expect(await stat('import-sum-stored')).toBe(good.length);
      expect((await stat('import-sum-accepted')) + (await stat('import-sum-pending'))).toBe(good.length);
      expect(await stat('import-sum-accepted')).toBeGreaterThan(0);
      expect(await stat('import-sum-rejected')).toBe(1);
      expect(await stat('import-sum-duplicates')).toBe(0);
      const bad = page.locator('tr.ant-table-row', { hasText: 'ZZ0000009999' });
      expect(await bad.getByTestId('import-status').textContent()).toBe('拒绝');
      expect(await bad.getByTestId('import-reason').textContent()).toContain('UNKNOWN_METER');
      expect(await bad.getByTestId('import-row-no').textContent()).toBe(String(good.length + 2));
      const ok = page.locator('tr.ant-table-row', { hasText: good[0].x.account.accountNo });
      expect(['通过', '待复核']).toContain(await ok.getByTestId('import-status').textContent());
      expect(await page.getByTestId('import-status').filter({ hasText: '通过' }).count()).toBe(await stat('import-sum-accepted'));
      await screenshot(page, 'metering-backoffice-08-import-report');

      // filter: rejected only
      await page.getByTestId('import-filter').click();
      await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: '拒绝' }).first().click();
      await expect.poll(() => page.locator('[data-testid=import-table] tr.ant-table-row').count()).toBe(1);
      // export the report
      const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('import-export').click()]);
      const exported = fs.readFileSync((await dl.path())!, 'utf8');
      expect(exported.split(/\r\n/).filter(Boolean)).toHaveLength(good.length + 2);
      expect(exported).toMatch(/ZZ0000009999,TOTAL,.*,rejected,UNKNOWN_METER/);

      // the same file again: every stored row is a duplicate
      await page.getByTestId('import-upload').click();
      await expect.poll(() => stat('import-sum-duplicates')).toBe(good.length);
      expect(await stat('import-sum-stored')).toBe(0);
      await expect.poll(() => page.getByTestId('import-status').filter({ hasText: '重复' }).count()).toBe(good.length);
      await screenshot(page, 'metering-backoffice-09-import-duplicates');

      // the same rows as an Excel workbook (.xlsx): read by the server's xlsx reader, every row a duplicate
      const xlsx = writeXlsx([{ name: '抄表数据', header: true, textColumns: [0, 1], rows: csv.trim().split('\n').map((l) => l.split(',')) }]);
      await page.locator('input[type=file]').setInputFiles({ name: 'readings-e2e.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: xlsx });
      expect(await page.getByTestId('import-file-name').textContent()).toBe('readings-e2e.xlsx');
      await page.getByTestId('import-upload').click();
      // the report card is replaced by the workbook's (its title names the file)
      await expect.poll(() => page.getByTestId('import-report').textContent(), { timeout: 30_000 }).toContain('readings-e2e.xlsx');
      expect(await stat('import-sum-rows')).toBe(good.length + 1);
      expect(await stat('import-sum-duplicates')).toBe(good.length);
      // the rejected count includes the duplicates
      expect(await stat('import-sum-rejected')).toBe(good.length + 1);
      expect(await stat('import-sum-stored')).toBe(0);
      expect(await page.getByTestId('import-reason').filter({ hasText: 'UNKNOWN_METER' }).count()).toBe(1);
      await screenshot(page, 'metering-backoffice-09b-import-xlsx');

      // a file that is neither CSV nor Excel is refused before upload
      await page.locator('input[type=file]').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('x') });
      await page.getByTestId('import-upload').click();
      await expect.poll(() => page.getByTestId('import-error').textContent()).toContain('.csv');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('checker runs the missing-reading check in 漏抄监控 and opens a flagged account (desktop and phone)', async () => {
    const ctx = await desktop();
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'checker');
      await page.getByTestId('side-menu').getByText('漏抄监控').click();
      await page.waitForURL('**/metering/missing');
      await page.getByTestId('missing-table').waitFor();
      await page.getByTestId('missing-check').click();
      await page.getByTestId('missing-last-check').waitFor();
      // the page shows what the API lists for the period after the check
      const api = await apiAs('checker', 'GET', `/metering/missing-readings?period=${period()}&pageSize=500`);
      await expect.poll(() => page.getByTestId('missing-total').textContent()).toBe(`共 ${api.total} 条漏抄`);
      expect(await page.getByTestId('missing-last-check').textContent()).toContain(`漏抄 ${api.total} 户`);
      // every listed task is overdue past the grace days of the active rule set
      const grace = (await apiAs('checker', 'GET', '/metering/rule-sets/active')).params.missingGraceDays;
      expect(Number.isInteger(grace)).toBe(true);
      for (const it of api.items) expect(it.daysOverdue).toBeGreaterThan(grace);
      await screenshot(page, 'metering-backoffice-09c-missing');
      if (api.total > 0) {
        const first = api.items[0];
        const link = page.getByTestId('missing-account').first();
        expect(await link.textContent()).toContain(first.account.accountNo);
        await link.click();
        await page.waitForURL(`**/archive/accounts/${first.account.id}`);
      } else {
        expect(await page.getByTestId('missing-table').textContent()).toContain('本期没有漏抄任务');
      }
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
    const phone = await newPhone(browser, server.baseUrl);
    const p2 = await phone.newPage();
    try {
      await login(p2, 'checker');
      await p2.goto('/metering/missing');
      await p2.getByTestId('missing-list').waitFor();
      expect(await p2.getByTestId('missing-table').count()).toBe(0);
      expect(await noHorizontalScroll(p2)).toBeLessThanOrEqual(0);
      await screenshot(p2, 'metering-backoffice-13b-phone-missing', false);
    } finally {
      await phone.close();
    }
  });

  it('phone 375 px: the three pages without horizontal scroll', async () => {
    const ctx = await newPhone(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'checker');
      await page.goto('/metering/routes');
      // a phone gets cards instead of the table
      await page.getByTestId('route-card').first().waitFor();
      expect(await page.getByTestId('route-table').count()).toBe(0);
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'metering-backoffice-10-phone-routes', false);
      const card = page.getByTestId('route-card').filter({ hasText: route.code });
      expect(await card.getByTestId('route-reader-cell').textContent()).toContain('王强');
      await card.getByTestId('route-edit').click();
      await page.getByTestId('route-save').waitFor();
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'metering-backoffice-11-phone-route-edit', false);
      await page.keyboard.press('Escape');

      await page.goto('/metering/review');
      await page.getByTestId('review-cards').waitFor();
      await page.getByTestId('review-card').first().waitFor();
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(0);
      await screenshot(page, 'metering-backoffice-12-phone-review', false);
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
    const ctx2 = await newPhone(browser, server.baseUrl);
    const page2 = await ctx2.newPage();
    try {
      await login(page2, 'reader');
      await page2.goto('/metering/import');
      await page2.getByTestId('import-upload').waitFor();
      await page2.locator('input[type=file]').setInputFiles({ name: 'one.csv', mimeType: 'text/csv', buffer: Buffer.from(`accountNo,meterAssetNo,register,readAt,value,exceptionCode\n,ZZ0000009998,TOTAL,2026-01-01 10:00,1.00,\n`) });
      await page2.getByTestId('import-upload').click();
      await page2.getByTestId('import-report').waitFor();
      expect(await noHorizontalScroll(page2)).toBeLessThanOrEqual(0);
      await screenshot(page2, 'metering-backoffice-13-phone-import', false);
    } finally {
      await ctx2.close();
    }
  });
});

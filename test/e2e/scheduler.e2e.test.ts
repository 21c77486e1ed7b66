/**
 * Browser journey of 系统管理 → 定时任务 (Scheduled jobs) on a real `voltline serve` with demo
 * data. The server inherits NODE_ENV=test from vitest, so its scheduler is off (the page says
 * so) and nothing runs on its own: the administrator opens the page from the menu, sees the seven
 * built-in jobs with their schedules, runs 复电检查 (reconnect-check) with 立即执行, sees the
 * result, and the run is in the audit trail. Screenshot: test-output/e2e/scheduler-jobs.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { buildUi, hasChromium, launchBrowser, login, newDesktop, screenshot, startServer, trackErrors, type TestServer } from './support.js';

describe.skipIf(!hasChromium)('scheduled jobs page in Chromium', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    buildUi();
    server = await startServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('administrator: lists the jobs, runs one now, the run is recorded and audited', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'admin');
      const menu = page.getByTestId('side-menu');
      await expect.poll(() => menu.textContent()).toContain('系统管理');
      const item = menu.getByText('定时任务', { exact: true });
      if (!(await item.isVisible())) await menu.getByText('系统管理').click(); // the group may start open
      await item.click();
      await page.waitForURL('**/system/jobs');
      const table = page.getByTestId('jobs-table');
      for (const name of ['accrue-late-fees', 'prepaid-deduct', 'missing-readings', 'sla-check', 'arrears-remind', 'reconnect-check', 'send-messages']) await table.getByText(name, { exact: true }).waitFor();
      await table.getByText('每日 00:30').waitFor();
      await table.getByText('每 30 秒').waitFor();
      await page.getByTestId('jobs-scheduler-off').waitFor();

      await page.getByTestId('job-run-reconnect-check').click();
      await page.getByText('任务 reconnect-check 已执行完成').waitFor();
      await expect.poll(() => page.getByTestId('job-result-reconnect-check').textContent()).toContain('checkedAccounts');
      await screenshot(page, 'scheduler-jobs');

      const jobs = (await (await page.request.get('/api/v1/system/jobs')).json()) as { items: Array<{ name: string; lastRun: { status: string; trigger: string } | null }> };
      expect(jobs.items.find((j) => j.name === 'reconnect-check')!.lastRun).toMatchObject({ status: 'ok', trigger: 'manual' });
      const audit = (await (await page.request.get('/api/v1/audit?action=job.run')).json()) as { items: Array<{ action: string; entityId: string }> };
      expect(audit.items.some((e) => e.action === 'job.run' && e.entityId === 'reconnect-check')).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});

/**
 * Browser journeys of 校核规则 (VEE rule sets as data) on a real `voltline serve`:
 *  - billing checker opens 校核规则 from the menu, sees the active version with thresholds and
 *    their meaning, creates a version with spikeRatio 0.3 (a bad value is refused under the
 *    field first), activates it after confirming; the old version shows as retired; English;
 *  - clerk (no reading.review / reading.rules): 403 on the URL, no menu entry;
 *  - phone 375×812: page and drawer without horizontal scroll.
 * Screenshots: test-output/e2e/vee-rules-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildUi, hasChromium, launchBrowser, login, newDesktop, newPhone, screenshot, startServer, trackErrors, type TestServer } from './support.js';

const SEED_VERSION = '2026-11-27.1';
const input = (page: Page, key: string) => page.locator(`input[data-testid="rules-input-${key}"], [data-testid="rules-input-${key}"] input`).first();

describe.skipIf(!hasChromium)('VEE rule sets (校核规则) in Chromium', () => {
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

  it('checker: views the rules, creates a version with spikeRatio 0.3 and activates it', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'checker');
      await page.getByTestId('side-menu').getByText('校核规则').click();
      await page.waitForURL('**/metering/rules');
      await expect.poll(() => page.getByTestId('rules-active-version').textContent()).toBe(SEED_VERSION);
      expect(await page.getByTestId('rules-param-spikeRatio-value').textContent()).toBe('0.5');
      expect(await page.getByTestId('rules-param-spikeRatio').textContent()).toContain('电量突增');
      expect(await page.getByTestId('rules-param-missingGraceDays-value').textContent()).toBe('2');
      expect(await page.getByTestId('rules-readonly').count()).toBe(0);
      await screenshot(page, 'vee-rules-01-checker-active');

      await page.getByTestId('rules-new').click();
      await page.getByTestId('rules-drawer').waitFor();
      await expect.poll(() => input(page, 'spikeRatio').inputValue()).toBe('0.5');
      // out of range: refused under the field, nothing saved
      await input(page, 'spikeRatio').fill('12');
      await page.getByTestId('rules-save').click();
      await expect.poll(() => page.getByText('取值范围 > 0, ≤ 10').count()).toBeGreaterThan(0);
      await input(page, 'spikeRatio').fill('0.3');
      await page.getByTestId('rules-note').fill('e2e: 收紧突增阈值');
      await page.getByTestId('rules-save').click();
      await page.getByTestId('rules-version-drawer').waitFor();
      const drawer = page.getByTestId('rules-version-drawer');
      await expect.poll(() => drawer.getByTestId('rules-vparam-spikeRatio-value').textContent()).toBe('0.3');
      expect(await drawer.getByTestId('rules-vparam-spikeRatio').textContent()).toContain('与生效版本不同');
      await screenshot(page, 'vee-rules-02-checker-draft');
      const title = (await page.locator('.ant-drawer-title').last().textContent()) ?? '';
      const version = /版本\s*(\S+)/.exec(title)![1];
      expect(version).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
      await page.keyboard.press('Escape');
      await expect.poll(() => page.getByTestId(`rules-status-${version}`).textContent()).toBe('草稿');
      // still the old version in force
      expect(await page.getByTestId('rules-active-version').textContent()).toBe(SEED_VERSION);

      await page.getByTestId(`rules-activate-${version}`).click();
      await expect.poll(() => page.getByText(`确认启用版本 ${version}`).count()).toBeGreaterThan(0);
      await page.getByTestId('rules-activate-confirm').click();
      await expect.poll(() => page.getByTestId('rules-active-version').textContent()).toBe(version);
      expect(await page.getByTestId('rules-param-spikeRatio-value').textContent()).toBe('0.3');
      expect(await page.getByTestId(`rules-status-${SEED_VERSION}`).textContent()).toBe('已停用');
      expect(await page.getByTestId(`rules-status-${version}`).textContent()).toBe('生效中');
      await screenshot(page, 'vee-rules-03-checker-activated');

      // the API agrees
      const api = await page.evaluate(async () => (await fetch('/api/v1/metering/rule-sets/active')).json());
      expect(api).toMatchObject({ version, params: { spikeRatio: 0.3 } });

      await page.getByTestId('lang-switch').click();
      await expect.poll(() => page.getByTestId('rules-param-spikeRatio').textContent()).toContain('Spike ratio');
      expect(await page.getByTestId(`rules-status-${version}`).textContent()).toBe('Active');
      await screenshot(page, 'vee-rules-04-english');
      await page.getByTestId('lang-switch').click();
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('clerk: no menu entry and 403 on the URL; the API refuses a draft', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    try {
      await login(page, 'clerk');
      expect(await page.getByTestId('side-menu').textContent()).not.toContain('校核规则');
      await page.goto('/metering/rules');
      await expect.poll(() => page.getByText('403').count()).toBeGreaterThan(0);
      expect(await page.getByTestId('rules-new').count()).toBe(0);
      const status = await page.evaluate(async () => (await fetch('/api/v1/metering/rule-sets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ params: { spikeRatio: 0.4 } }) })).status);
      expect(status).toBe(403);
    } finally {
      await ctx.close();
    }
  });

  it('phone 375×812: rules and the new-version drawer without horizontal scroll', async () => {
    const ctx = await newPhone(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'checker');
      await page.goto('/metering/rules');
      await page.getByTestId('rules-param-spikeRatio-value').waitFor();
      const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(await overflow()).toBeLessThanOrEqual(1);
      await screenshot(page, 'vee-rules-05-phone');
      await page.getByTestId('rules-new').click();
      await page.getByTestId('rules-drawer').waitFor();
      await input(page, 'spikeRatio').waitFor();
      expect(await overflow()).toBeLessThanOrEqual(1);
      await screenshot(page, 'vee-rules-06-phone-drawer', false);
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});

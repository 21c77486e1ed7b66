/**
 * Browser journeys of the metering tools (报文解析, DL/T 645-2007) on a real `voltline serve`:
 *  - meter reader opens 报文解析 from the menu (计量 group), decodes the M-1 reply (12345.67 kWh,
 *    checksum OK, byte breakdown), a corrupted copy (checksum error, CS tag says what it should
 *    be), an abnormal reply (error word meaning); builds the M-1 read request; English switch;
 *  - clerk (no `metering.tools`): no 计量 menu, 403 on the URL;
 *  - phone 375×812: the page works without horizontal scroll.
 * Screenshots: test-output/e2e/metering-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildUi, hasChromium, launchBrowser, login, newDesktop, newPhone, screenshot, startServer, trackErrors, type TestServer } from './support.js';

const M1_REQUEST = '68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16';
const M1_REPLY = '68 01 00 00 00 00 00 68 91 08 33 33 34 33 9A 78 56 34 D3 16';
const M1_REPLY_BAD_CS = '68 01 00 00 00 00 00 68 91 08 33 33 34 33 9A 78 56 34 D4 16';

async function decode(page: Page, hex: string): Promise<void> {
  await page.getByTestId('meter-hex-input').fill(hex);
  await page.getByTestId('meter-decode').click();
  await page.getByTestId('meter-result').waitFor();
}

describe.skipIf(!hasChromium)('metering tools (报文解析) in Chromium', () => {
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

  it('reader: decode the M-1 reply, a corrupted copy and an abnormal reply; build the M-1 request', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'reader');
      const menu = page.getByTestId('side-menu');
      expect(await menu.textContent()).toContain('计量'); // the group (open by default)
      await menu.getByText('报文解析').click();
      await page.waitForURL('**/metering/dlt645');
      await page.getByTestId('meter-hex-input').waitFor();

      // example button fills the M-1 reply; decode
      await page.getByTestId('meter-example-reply').click();
      expect(await page.getByTestId('meter-hex-input').inputValue()).toBe(M1_REPLY);
      await page.getByTestId('meter-decode').click();
      await page.getByTestId('meter-result').waitFor();
      await expect.poll(() => page.getByTestId('meter-value').textContent()).toBe('12345.67 kWh');
      expect(await page.getByTestId('meter-checksum').textContent()).toBe('校验正确');
      expect(await page.getByTestId('meter-address').textContent()).toBe('000000000001');
      expect(await page.getByTestId('meter-di').textContent()).toBe('00010000');
      expect(await page.getByTestId('meter-di-name').textContent()).toContain('正向有功总电能');
      expect(await page.getByTestId('meter-control').textContent()).toContain('读数据');
      expect(await page.getByTestId('meter-direction').textContent()).toContain('应答');
      // byte breakdown: 68, address, 68, C, L, data minus 0x33, CS, 16
      expect(await page.getByTestId('meter-part-address').textContent()).toBe('01 00 00 00 00 00');
      expect(await page.getByTestId('meter-part-control').textContent()).toBe('91');
      expect(await page.getByTestId('meter-part-length').textContent()).toBe('08');
      expect(await page.getByTestId('meter-part-data').textContent()).toBe('00 00 01 00 67 45 23 01');
      expect(await page.getByTestId('meter-part-cs').textContent()).toBe('D3');
      expect(await page.getByTestId('meter-part-end').textContent()).toBe('16');
      await screenshot(page, 'metering-01-reader-decode-reply');

      // corrupted copy (CS D3 -> D4), lower case, no spaces, with an FE preamble
      await decode(page, 'fefe' + M1_REPLY_BAD_CS.replace(/ /g, '').toLowerCase());
      await expect.poll(() => page.getByTestId('meter-checksum').textContent()).toBe('校验错误');
      expect(await page.getByTestId('meter-error').textContent()).toContain('BAD_CHECKSUM');
      expect(await page.getByTestId('meter-value').textContent()).toBe('12345.67 kWh'); // what the frame claims
      expect(await page.getByTestId('meter-part-preamble').textContent()).toBe('FE FE');
      expect(await page.getByTestId('meter-part-cs').textContent()).toBe('D4');
      expect(await page.getByTestId('meter-result').textContent()).toContain('应为 D3');
      await screenshot(page, 'metering-02-reader-bad-checksum');

      // abnormal reply: error word 0x02 = 无请求数据
      await page.getByTestId('meter-example-abnormal').click();
      await page.getByTestId('meter-decode').click();
      await expect.poll(() => page.getByTestId('meter-error-word').textContent()).toContain('无请求数据');
      expect(await page.getByTestId('meter-checksum').textContent()).toBe('校验正确');

      // not hex: said under the field, no request
      await page.getByTestId('meter-hex-input').fill('68 0G');
      await page.getByTestId('meter-decode').click();
      await expect.poll(() => page.getByText('不是十六进制报文').count()).toBe(1);

      // build the M-1 read request: address 000000000001, DI 00010000
      await page.getByTestId('meter-build-address').fill('000000000001');
      await page.getByTestId('meter-build-di').fill('00010000');
      await page.getByTestId('meter-build-run').click();
      await expect.poll(() => page.getByTestId('meter-build-hex').textContent()).toBe(M1_REQUEST);
      expect(await page.getByTestId('meter-build-result').textContent()).toContain('正向有功总电能');
      // the example request button fills the same frame
      await page.getByTestId('meter-example-request').click();
      expect(await page.getByTestId('meter-hex-input').inputValue()).toBe(M1_REQUEST);
      // built frame -> analyzer
      await page.getByTestId('meter-build-use').click();
      await expect.poll(() => page.getByTestId('meter-direction').textContent()).toContain('请求');
      expect(await page.getByTestId('meter-part-data').textContent()).toBe('00 00 01 00');
      // a bad DI is refused in the form
      await page.getByTestId('meter-build-di').fill('0001');
      await page.getByTestId('meter-build-run').click();
      await expect.poll(() => page.getByText('8 位十六进制，如 00010000').count()).toBe(1);
      await page.getByTestId('meter-build-di').fill('00010000');
      await page.getByTestId('meter-build-run').click();
      await screenshot(page, 'metering-03-reader-build-frame');

      // English
      await page.getByTestId('lang-switch').click();
      await decode(page, M1_REPLY);
      await expect.poll(() => page.getByTestId('meter-checksum').textContent()).toBe('Checksum OK');
      expect(await menu.textContent()).toContain('Frame analyzer');
      await screenshot(page, 'metering-04-reader-english');
      await page.getByTestId('lang-switch').click();
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('clerk without metering.tools: no 计量 menu, 403 on the URL', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    try {
      await login(page, 'clerk');
      expect(await page.getByTestId('side-menu').textContent()).not.toContain('报文解析');
      await page.goto('/metering/dlt645');
      await expect.poll(() => page.getByText('403').count()).toBeGreaterThan(0);
      expect(await page.getByTestId('meter-hex-input').count()).toBe(0);
    } finally {
      await ctx.close();
    }
  });

  it('phone 375×812: decode and build without horizontal scroll', async () => {
    const ctx = await newPhone(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'reader');
      await page.goto('/metering/dlt645');
      await page.getByTestId('meter-example-reply').click();
      await page.getByTestId('meter-decode').click();
      await expect.poll(() => page.getByTestId('meter-value').textContent()).toBe('12345.67 kWh');
      await page.getByTestId('meter-build-run').click();
      await expect.poll(() => page.getByTestId('meter-build-hex').textContent()).toBe(M1_REQUEST);
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow).toBeLessThanOrEqual(1);
      await screenshot(page, 'metering-05-phone');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});

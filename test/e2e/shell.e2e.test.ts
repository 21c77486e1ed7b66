/**
 * Browser journeys through the web shell (docs/ui.md, ../shared/docs/user-journeys.md):
 * counter clerk finds an account and opens its 360° view, switches language; administrator
 * creates an org unit and a user and sees the audit event; phone-width account search.
 * Screenshots: test-output/e2e/*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildUi, hasChromium, launchBrowser, login, logout, newDesktop, newPhone, screenshot, startServer, trackErrors, type TestServer } from './support.js';

interface AccountItem {
  id: number;
  accountNo: string;
  name: string;
}

/** A real account number from the clerk's scope (asked through the page's own session). */
/**
 * Close a Select/TreeSelect popup: give it a moment to close by itself (a single select closes
 * on pick, with an animation), else press Escape (only while it is still open: Escape on a
 * closed popup would close the drawer around it).
 */
async function closePopup(page: Page, inside: ReturnType<Page['locator']>) {
  for (let i = 0; i < 5; i++) {
    if (await inside.waitFor({ state: 'hidden', timeout: 1000 }).then(() => true, () => false)) return;
    await page.keyboard.press('Escape');
  }
  await inside.waitFor({ state: 'hidden' });
}

async function firstAccount(page: Page): Promise<AccountItem> {
  const res = await page.request.get('/api/v1/accounts?page=1&pageSize=10');
  expect(res.ok()).toBe(true);
  const body = (await res.json()) as { items: AccountItem[] };
  expect(body.items.length).toBeGreaterThan(0);
  return body.items[0];
}

describe.skipIf(!hasChromium)('web shell in Chromium', () => {
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

  it('clerk: log in, search an account by 户号, open the 360° view, switch to English and back', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      // a wrong password shows the API's message
      await page.goto('/login');
      await page.getByTestId('login-username').fill('clerk');
      await page.getByTestId('login-password').fill('wrong-password');
      await page.getByTestId('login-submit').click();
      await expect.poll(async () => (await page.getByTestId('login-error').textContent()) ?? '').toContain('登录失败');
      await screenshot(page, '01-login-error');

      await login(page, 'clerk');
      await screenshot(page, '02-clerk-home');
      const menu = page.getByTestId('side-menu');
      await expect.poll(() => menu.textContent()).toContain('用电户查询');
      // a clerk has no administration pages in the menu
      expect(await menu.textContent()).not.toContain('用户管理');

      const acct = await firstAccount(page);
      await menu.getByText('用电户查询').click();
      await page.waitForURL('**/archive/accounts**');
      await page.getByTestId('account-search-input').fill(acct.accountNo);
      await page.getByTestId('account-search-input').press('Enter');
      const link = page.getByTestId('account-link').filter({ hasText: acct.accountNo });
      await link.first().waitFor();
      await expect.poll(() => page.getByTestId('account-link').count()).toBe(1);
      await page.locator('.ant-spin-spinning').waitFor({ state: 'detached' });
      await screenshot(page, '03-clerk-account-search');

      await link.first().click();
      await page.waitForURL(`**/archive/accounts/${acct.id}`);
      await page.getByTestId('account-360').waitFor();
      expect(await page.getByTestId('account-360-no').first().textContent()).toContain(acct.accountNo);
      const meters = page.getByTestId('meter-asset-no');
      await expect.poll(() => meters.count()).toBeGreaterThan(0);
      expect(await page.getByTestId('meter-multiplier').first().textContent()).toMatch(/\d/);
      // personal data masked
      expect(await page.getByTestId('customer-phone').textContent()).toContain('*');
      await screenshot(page, '04-clerk-account-360-zh');

      // English
      await page.getByTestId('lang-switch').click();
      await expect.poll(() => page.getByTestId('side-menu').textContent()).toContain('Accounts');
      expect(await page.getByTestId('account-360').textContent()).toContain('Metering points and meters');
      expect(await page.evaluate("localStorage.getItem('voltline.lang')")).toBe('en');
      await page.reload();
      await page.getByTestId('account-360').waitFor();
      await expect.poll(() => page.getByTestId('side-menu').textContent()).toContain('Accounts');
      await screenshot(page, '05-clerk-account-360-en');

      // and back to Chinese
      await page.getByTestId('lang-switch').click();
      await expect.poll(() => page.getByTestId('side-menu').textContent()).toContain('用电户查询');
      expect(await page.getByTestId('account-360').textContent()).toContain('计量点与电能表');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('clerk: edit an account in the drawer; a bad value is shown under its field', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'clerk');
      const acct = await firstAccount(page);
      await page.goto(`/archive/accounts/${acct.id}`);
      await page.getByTestId('account-360').waitFor();
      await page.getByTestId('account-edit').click();
      const drawer = page.getByTestId('account-edit-drawer');
      await drawer.waitFor();
      // contract capacity with 3 decimals: the API rejects it and names the field
      const cap = drawer.locator('#contractCapacityKva');
      await cap.fill('8.123');
      await page.getByTestId('account-edit-reason').fill('e2e: capacity check');
      await page.getByTestId('account-edit-save').click();
      const fieldError = drawer.locator('#contractCapacityKva_help');
      await fieldError.waitFor();
      expect((await fieldError.textContent())?.length).toBeGreaterThan(0);
      await screenshot(page, '06-clerk-account-edit-field-error');

      await cap.fill('10');
      await page.getByTestId('account-edit-save').click();
      await drawer.waitFor({ state: 'hidden' });
      await expect.poll(() => page.getByTestId('account-360').textContent()).toMatch(/合同容量10(\.00)? kVA/);
      // the change is in the history (its tab, after 抄表记录 and 账单)
      await page.getByRole('tab', { name: '档案变更历史' }).click();
      await expect.poll(() => page.getByTestId('account-history').textContent()).toContain('e2e: capacity check');
      await screenshot(page, '07-clerk-account-after-edit');

      // optimistic lock: someone else saves first -> the drawer says so instead of overwriting
      await page.getByTestId('account-edit').click();
      await drawer.waitFor();
      const current = (await (await page.request.get(`/api/v1/accounts/${acct.id}`)).json()) as { account: { version: number } };
      const other = await page.request.patch(`/api/v1/accounts/${acct.id}`, {
        data: { version: current.account.version, householdSize: 5, reason: 'e2e: concurrent edit' },
      });
      expect(other.ok()).toBe(true);
      await cap.fill('12');
      await page.getByTestId('account-edit-reason').fill('e2e: stale edit');
      await page.getByTestId('account-edit-save').click();
      await expect.poll(async () => (await page.getByTestId('account-edit-error').textContent().catch(() => '')) ?? '').toContain('已被他人修改');
      await screenshot(page, '07b-clerk-account-edit-conflict');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('clerk: customers list and detail with the customer\'s accounts', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'clerk');
      const acct = await firstAccount(page);
      await page.getByTestId('side-menu').getByText('客户', { exact: true }).click();
      await page.waitForURL('**/archive/customers**');
      await page.locator('#q').fill(acct.name);
      await page.getByTestId('query-submit').click();
      const link = page.locator('a', { hasText: acct.name }).first();
      await link.waitFor();
      await link.click();
      await page.waitForURL(/\/archive\/customers\/\d+$/);
      await page.locator('a.vl-mono', { hasText: acct.accountNo }).waitFor();
      await screenshot(page, '07a-clerk-customer-detail');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('admin: create an org unit and a user, then find the audit events and verify the chain', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    const suffix = String(Date.now() % 1_000_000);
    const unitName = `测试单位${suffix}`;
    const username = `e2e${suffix}`;
    try {
      await login(page, 'admin');
      const menu = page.getByTestId('side-menu');
      for (const label of ['供电单位', '用户管理', '角色权限', '审计日志']) await expect.poll(() => menu.textContent()).toContain(label);

      // org unit: a child of the root (company -> county)
      await menu.getByText('供电单位').click();
      await page.getByTestId('org-tree').waitFor();
      await page.getByTestId('org-create-child').click();
      const modal = page.getByRole('dialog');
      await modal.waitFor();
      await page.getByTestId('org-unit-code').fill(`E2E${suffix}`);
      await page.getByTestId('org-unit-name').fill(unitName);
      await modal.getByRole('button', { name: /保\s*存/ }).click();
      await modal.waitFor({ state: 'hidden' });
      await page.getByTestId('org-tree').getByText(unitName).waitFor();
      await screenshot(page, '08-admin-org-units');

      // user in the new unit
      await menu.getByText('用户管理').click();
      await page.getByTestId('users-table').waitFor();
      await page.getByTestId('user-create').click();
      const drawer = page.getByTestId('user-drawer');
      await drawer.waitFor();
      await page.getByTestId('user-username').fill(username);
      await page.getByTestId('user-display-name').fill('端到端测试员');
      await page.getByTestId('user-password').fill('Voltline@2026e2e');
      // org unit: search the tree by name, pick the node, then check the field shows it and the
      // dropdown has closed (clicking the node while the popup was still animating left it open
      // over the roles field)
      const orgItem = drawer.locator('.ant-form-item').filter({ has: page.locator('#orgUnitId') });
      // (on a busy machine a click that lands while the tree is re-filtering is lost: try again)
      const node = page.locator('.ant-select-tree-node-content-wrapper', { hasText: unitName }).first();
      for (let attempt = 1; ; attempt++) {
        await drawer.locator('#orgUnitId').click();
        await drawer.locator('#orgUnitId').fill(unitName);
        await node.waitFor({ state: 'visible' });
        await node.click();
        const picked = await expect
          .poll(() => orgItem.textContent(), { timeout: 5000 })
          .toContain(unitName)
          .then(() => true, () => false);
        if (picked) break;
        if (attempt >= 3) throw new Error(`org unit ${unitName} not picked after ${attempt} attempts (field shows ${await orgItem.textContent()})`);
        await page.keyboard.press('Escape');
      }
      await closePopup(page, node);
      const rolesItem = drawer.locator('.ant-form-item').filter({ has: page.locator('#roles') });
      await drawer.locator('#roles').click();
      const option = page.locator('.ant-select-item-option', { hasText: '营业员' }).first();
      await option.waitFor({ state: 'visible' });
      await option.click();
      await expect.poll(() => rolesItem.textContent(), { timeout: 5000 }).toContain('营业员');
      await closePopup(page, option);
      await page.getByTestId('user-save').click();
      await drawer.waitFor({ state: 'hidden' });
      await page.getByTestId('users-table').getByText(username).waitFor();
      await screenshot(page, '09-admin-users');

      // role with a permission matrix: whole archive module + audit.read
      await menu.getByText('角色权限').click();
      await page.getByTestId('role-create').click();
      const roleDrawer = page.getByTestId('role-drawer');
      await roleDrawer.waitFor();
      await roleDrawer.locator('#code').fill(`e2e_role_${suffix}`);
      await roleDrawer.locator('#nameZh').fill('测试角色');
      await roleDrawer.locator('#nameEn').fill('Test role');
      const matrix = page.getByTestId('permission-matrix');
      await matrix.getByText('客户档案').click(); // select-all of the archive module
      await page.getByTestId('perm-audit.read').click();
      expect(await page.locator('input[data-testid="perm-account.read"], [data-testid="perm-account.read"] input').first().isChecked()).toBe(true);
      await screenshot(page, '10a-admin-role-matrix');
      await page.getByTestId('role-save').click();
      await roleDrawer.waitFor({ state: 'hidden' });
      await page.getByText(`e2e_role_${suffix}`).waitFor();

      // audit viewer: the user.create event, its before/after diff, and the chain check
      await menu.getByText('审计日志').click();
      await page.getByTestId('audit-table').waitFor();
      await page.locator('#action').fill('user.create');
      await page.getByTestId('query-submit').click();
      const row = page.getByTestId('audit-table').locator('tr', { hasText: 'user.create' }).first();
      await row.waitFor();
      await row.getByTestId('audit-open').click();
      const diff = page.getByTestId('audit-diff');
      await diff.waitFor();
      await expect.poll(() => diff.textContent()).toContain(username);
      await screenshot(page, '10-admin-audit-diff');
      await page.keyboard.press('Escape');
      await page.getByTestId('audit-drawer').waitFor({ state: 'hidden' });

      await page.locator('#action').fill('org_unit');
      await page.getByTestId('query-reset').click();
      await page.getByTestId('audit-verify').click();
      const result = page.getByTestId('audit-verify-result');
      await result.waitFor();
      expect(await result.textContent()).toContain('审计链完整');
      await screenshot(page, '11-admin-audit-verify');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('roles: menus follow permissions, data scope, manager chart, customer home, logout', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      // clerk: an account of another 供电所 is out of scope
      await login(page, 'clerk');
      let foreign: number | null = null;
      for (let id = 1; id <= 40 && foreign === null; id++) {
        const res = await page.request.get(`/api/v1/accounts/${id}`);
        if (res.status() === 403) foreign = id;
      }
      expect(foreign).not.toBeNull();
      await page.goto(`/archive/accounts/${foreign}`);
      await page.getByText('403', { exact: true }).waitFor();
      await screenshot(page, '15-clerk-out-of-scope');
      // a clerk cannot open admin pages even by URL
      await page.goto('/system/users');
      await page.getByText('403', { exact: true }).waitFor();
      // logout returns to the login page and the session is gone
      await logout(page);
      expect((await page.request.get('/api/v1/auth/me')).status()).toBe(401);

      // manager: statistics permission -> chart on the home page; no user administration writes
      await login(page, 'manager');
      await page.getByTestId('chart-accounts-by-class').locator('canvas').waitFor();
      const menu = await page.getByTestId('side-menu').textContent();
      expect(menu).toContain('审计日志');
      expect(menu).not.toContain('角色权限');
      await screenshot(page, '16-manager-home-chart');
      await logout(page);

      // customer: only their own accounts, no archive menu
      await login(page, 'customer');
      const mine = page.getByTestId('home-my-accounts');
      await mine.locator('a.vl-mono').first().waitFor();
      expect(await page.getByTestId('side-menu').textContent()).not.toContain('客户档案');
      await screenshot(page, '17-customer-home');
      await mine.locator('a.vl-mono').first().click();
      await page.getByTestId('account-360').waitFor();
      expect(await page.getByTestId('account-edit').count()).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('checker: the tariff module is mounted in the shell menu (catalogue, quote)', async () => {
    const ctx = await newDesktop(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'checker');
      const menu = page.getByTestId('side-menu');
      await menu.getByText('电价目录').click();
      await page.waitForURL('**/tariffs');
      await expect.poll(() => page.getByTestId('breadcrumb').textContent()).toContain('电价目录');
      await page.locator('.ant-table-row').first().waitFor();
      await screenshot(page, '18-checker-tariffs');
      await menu.getByText('电费试算').click();
      await page.waitForURL('**/tariffs/quote');
      await expect.poll(() => page.getByTestId('breadcrumb').textContent()).toContain('电费试算');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it('phone 375×812: menu in a drawer, account search and 360° view usable', async () => {
    const ctx = await newPhone(browser, server.baseUrl);
    const page = await ctx.newPage();
    const errors = trackErrors(page);
    try {
      await login(page, 'clerk');
      const acct = await firstAccount(page);
      // no side menu on a phone: it opens as a drawer
      await page.getByTestId('menu-toggle').click();
      const drawer = page.getByTestId('menu-drawer');
      await drawer.getByText('用电户查询').waitFor();
      await screenshot(page, '12-phone-menu-drawer', false);
      await drawer.getByText('用电户查询').click();
      await page.waitForURL('**/archive/accounts**');
      await page.getByTestId('account-search-input').fill(acct.accountNo);
      await page.getByTestId('query-submit').click();
      const card = page.getByTestId('account-card').filter({ hasText: acct.accountNo });
      await card.first().waitFor();
      await expect.poll(() => page.getByTestId('account-card').count()).toBe(1);
      await screenshot(page, '13-phone-account-search');
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow).toBeLessThanOrEqual(1);

      await card.first().click();
      await page.getByTestId('account-360').waitFor();
      await expect.poll(() => page.getByTestId('meter-asset-no').count()).toBeGreaterThan(0);
      const overflow360 = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      expect(overflow360).toBeLessThanOrEqual(1);
      await screenshot(page, '14-phone-account-360');
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });
});

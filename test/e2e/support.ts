/**
 * Browser-test support: start a real Voltline server on a free port with a fresh data folder,
 * launch Debian's Chromium through playwright-core, log in, save screenshots.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = process.env.VOLTLINE_E2E_CHROMIUM || '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);
export const PASSWORD = 'Voltline@2026';
export const screenshotDir = path.join(repoRoot, 'test-output', 'e2e');

if (!hasChromium) {
  const line = '='.repeat(78);
  console.warn(`\n${line}\nSKIPPED: Chromium not found at ${CHROMIUM} — browser tests are skipped.\n` + `Install it with: apt-get install -y chromium fonts-noto-cjk\n${line}\n`);
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Builds web/dist when a source is newer (cheap when up to date). */
export function buildUi(): void {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-web.mjs'), '--if-stale'], { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`UI build failed (exit ${r.status})`);
}

export interface TestServer {
  baseUrl: string;
  port: number;
  dataDir: string;
  log: () => string;
  stop: () => Promise<void>;
}

/** `voltline serve --seed-if-empty` on a free port and a fresh embedded database. */
export async function startServer(): Promise<TestServer> {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'voltline-e2e-'));
  const env: NodeJS.ProcessEnv = { ...process.env, VOLTLINE_DATA_DIR: path.join(dataDir, 'data'), PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL; // always the embedded engine with a fresh folder
  const child: ChildProcess = spawn(process.execPath, [path.join(repoRoot, 'bin', 'voltline.mjs'), 'serve', '--seed-if-empty', '--port', String(port), '--host', '127.0.0.1'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d.toString()));
  child.stderr?.on('data', (d) => (output += d.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (exited) throw new Error(`voltline serve exited early:\n${output}`);
    try {
      const res = await fetch(`${baseUrl}/api/v1/health`);
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`voltline serve did not become ready in 300 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const t0 = Date.now();
      while (!exited && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 100));
      if (!exited) child.kill('SIGKILL');
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return { baseUrl, port, dataDir, log: () => output, stop };
}

export async function launchBrowser(): Promise<Browser> {
  // playwright manages a fresh temporary profile (user-data-dir) per launch
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** Generous timeouts: a busy 2-core CI box can take seconds for what is instant locally. */
function withTimeouts(ctx: BrowserContext): BrowserContext {
  ctx.setDefaultTimeout(60_000);
  ctx.setDefaultNavigationTimeout(60_000);
  return ctx;
}

export async function newDesktop(browser: Browser, baseUrl: string): Promise<BrowserContext> {
  return withTimeouts(await browser.newContext({ baseURL: baseUrl, viewport: { width: 1440, height: 900 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' }));
}

export async function newPhone(browser: Browser, baseUrl: string): Promise<BrowserContext> {
  return withTimeouts(
    await browser.newContext({
      baseURL: baseUrl,
      viewport: { width: 375, height: 812 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    }),
  );
}

export async function login(page: Page, username: string, password = PASSWORD): Promise<void> {
  await page.goto('/login');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  try {
    await page.getByTestId('home-welcome').waitFor({ timeout: 60_000 });
  } catch (e) {
    const shown = await page.getByTestId('login-error').textContent().catch(() => null);
    await screenshot(page, `login-failed-${username}`).catch(() => undefined);
    throw new Error(`login as ${username} failed (url ${page.url()}, message: ${shown ?? 'none'}): ${(e as Error).message}`);
  }
}

/**
 * Logs out through the header's user menu and waits for the login page. Under a busy CI machine
 * the dropdown's opening animation has swallowed the click on 退出登录 once in a while; the
 * helper then logs what it saw (URL, whether the item is visible) and opens the menu again, so a
 * real failure (logout never reaching /login) still fails with that context.
 */
export async function logout(page: Page): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await page.getByTestId('user-menu').click();
    const item = page.getByTestId('logout');
    await item.waitFor({ state: 'visible' });
    await item.click();
    try {
      await page.waitForURL('**/login', { timeout: 15_000, waitUntil: 'commit' });
      return;
    } catch (e) {
      if (new URL(page.url()).pathname === '/login') return;
      const visible = await item.isVisible().catch(() => false);
      console.warn(`logout attempt ${attempt}: still at ${page.url()} (menu item visible: ${visible})`);
      await screenshot(page, `logout-attempt-${attempt}`).catch(() => undefined);
      if (attempt >= 3) throw e;
      if (visible) await page.keyboard.press('Escape');
    }
  }
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.waitForTimeout(400); // let drawers, modals and messages finish their animation
  await page.screenshot({ path: file, fullPage });
  return file;
}

/** Collects uncaught page errors so a test can assert the UI did not crash. */
export function trackErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

// lib.mjs: what the browser tests share: a log line, a failure, Debian's
// Chromium headless, and a logged-in page.
import { chromium } from 'playwright-core';

export function log(...a) { console.log(new Date().toISOString().slice(11, 23), ...a); }
export function fail(msg) { throw new Error(msg); }

export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

// A new context logged in as user; resolves once the domain list shows.
export async function loginPage(browser, url, user, pw) {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('pageerror', (e) => log(user, 'page error:', e.message));
  await page.goto(url + '/login.html');
  await page.fill('#user', user);
  await page.fill('#password', pw);
  await page.click('button[type=submit]');
  await page.waitForSelector('#domains tr[data-name="Domain-0"]');
  return page;
}

// Runs the test body; the browser closes either way, a failure exits 1.
export async function run(browser, body) {
  try {
    await body();
    await browser.close();
    log('ok');
  } catch (e) {
    console.error(e.stack || String(e));
    await browser.close();
    process.exit(1);
  }
}

// web.mjs: xensv's pages in headless Chromium (Debian's), driven by
// playwright-core.  Run by tests/system/test_web.py (web-browser) against
// a private xend + xenconsoled + xensv; settings come from the environment.
import { execFileSync } from 'node:child_process';
import { log, fail, launch } from './lib.mjs';
import { mkdirSync } from 'node:fs';

const URL = process.env.XENSV_URL;
const SHOTS = process.env.XENSV_SHOTS;
const CFG = process.env.XENSV_DOMCFG;
mkdirSync(SHOTS, { recursive: true });


const figures = {};
const browser = await launch();

async function login(user, pw) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => log(user, 'page error:', e.message));
  page.on('console', (m) => { if (m.type() === 'error') log(user, 'console:', m.text()); });
  await page.goto(URL + '/');
  if (!page.url().endsWith('/login.html')) fail('not sent to the login page: ' + page.url());
  await page.fill('#user', user);
  await page.fill('#password', 'wrong-password');
  await page.click('button[type=submit]');
  await page.waitForSelector('#error:has-text("wrong user name or password")');
  await page.waitForTimeout(1100);           // the back-off after a wrong password
  await page.fill('#password', pw);
  await page.click('button[type=submit]');
  await page.waitForSelector('#domains tr[data-name="Domain-0"]');
  return { ctx, page };
}

const row = (name) => `#domains tr[data-name="${name}"]`;

async function termText(page) {
  return page.locator('.xterm-rows').innerText();
}

// The terminal's last non-blank line (where a prompt is).
async function lastLine(page) {
  const lines = (await termText(page)).split('\n').map((l) => l.trimEnd()).filter((l) => l);
  return lines.length ? lines[lines.length - 1] : '';
}

async function waitLast(page, re, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (re.test(await lastLine(page))) return true;
    await page.waitForTimeout(200);
  }
  return false;
}

// Logs in as root/root at the guest's serial prompt, as a person would:
// Enter until a fresh login: prompt is the last line, the password a
// second after its prompt (busybox turns echo off after printing it).
async function guestLogin(page) {
  for (let attempt = 0; attempt < 40; attempt++) {
    await page.keyboard.press('Enter');
    if (!(await waitLast(page, /login:$/, 3000))) continue;
    await page.keyboard.type('root\n');
    if (!(await waitLast(page, /Password:$/, 10000))) continue;
    await page.waitForTimeout(1000);
    await page.keyboard.type('root\n');
    if (await waitLast(page, /# ?$/, 15000)) return;
  }
  fail('no root shell on the console:\n' + await termText(page));
}

async function waitTerm(page, needle, ms = 60000, poke = false) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if ((await termText(page)).includes(needle)) return;
    if (poke) await page.keyboard.press('Enter');
    await page.waitForTimeout(poke ? 2000 : 200);
  }
  fail(`"${needle}" never appeared in the console:\n` + await termText(page));
}

try {
  const admin = await login('admin', process.env.XENSV_ADMIN_PW);
  const viewer = await login('viewer', process.env.XENSV_VIEWER_PW);
  const A = admin.page, V = viewer.page;
  log('both logged in');

  // A domain created outside the browser appears in both without reload.
  const t0 = Date.now();
  execFileSync('xm', ['create', CFG], { stdio: 'inherit' });
  await A.waitForSelector(row('webui'), { timeout: 30000 });
  await V.waitForSelector(row('webui'), { timeout: 30000 });
  log(`webui in both lists ${Date.now() - t0} ms after xm create began`);

  // Keyboard only: j selects it, p pauses it; the viewer sees it live.
  await A.locator('body').press('j');
  if (await A.getAttribute(row('webui'), 'aria-selected') !== 'true') fail('j did not select webui');
  // From the key press in one browser to the other browser's list showing
  // the change (xend pausing QEMU included): the viewer's page timestamps
  // the row's change itself (a MutationObserver); one clock.
  await V.evaluate(() => {
    window.__seen = null;
    const tb = document.querySelector('#domains tbody');
    new MutationObserver(() => {
      const r = tb.querySelector('tr[data-name="webui"]');
      if (r && r.dataset.status === 'paused' && !window.__seen) window.__seen = Date.now();
    }).observe(tb, { subtree: true, childList: true, attributes: true });
  });
  const pressed = Date.now();
  await A.keyboard.press('p');
  await V.waitForSelector(row('webui') + '[data-status="paused"]', { timeout: 10000 });
  const seen = await V.evaluate(() => window.__seen);
  figures.state_change_ms = seen - pressed;
  log(`paused by key p; the viewer's list showed it ${seen - pressed} ms after the key press`);
  await A.waitForSelector(row('webui') + '[data-status="paused"]');
  await A.keyboard.press('p');
  await V.waitForSelector(row('webui') + ':not([data-status="paused"])', { timeout: 10000 });
  log('unpaused by key p');

  // The viewer can change nothing: keys do nothing, the API says 403.
  await V.locator('body').press('j');
  await V.keyboard.press('p');
  await V.waitForTimeout(1500);
  if (await V.getAttribute(row('webui'), 'data-status') === 'paused') fail('the viewer paused webui');
  const status = await V.evaluate(async () => {
    const s = await (await fetch('/api/session')).json();
    const r = await fetch('/api/domains/webui/pause', { method: 'POST', headers: { 'X-CSRF-Token': s.csrf } });
    return r.status;
  });
  if (status !== 403) fail('viewer pause: HTTP ' + status);
  await V.goto(URL + '/#/domain/webui');
  await V.waitForSelector('button[data-action="pause"][disabled]');
  if (!(await V.locator('#mem-slider').isDisabled())) fail('viewer slider enabled');
  log('viewer: buttons disabled, API 403');

  // Enter opens the domain page; the slider balloons it, the list follows.
  await A.keyboard.press('Enter');
  await A.waitForSelector('#mem-slider');
  await A.locator('#mem-slider').fill('64');
  await A.locator('#mem-slider').dispatchEvent('change');
  await V.goto(URL + '/#/');
  await V.waitForFunction(() => {
    const r = document.querySelector('#domains tr[data-name="webui"]');
    return r && r.children[5].textContent === '64';
  }, null, { timeout: 15000 });
  log('balloon to 64 MB seen in the viewer\'s list');
  await A.waitForSelector('#sxp:has-text("(name webui)")');
  await A.screenshot({ path: `${SHOTS}/domain.png`, fullPage: true });

  // The serial console: log in as root and read the guest's reply.
  await A.click('#open-console');
  await A.waitForSelector('.xterm-rows');
  await A.waitForSelector('#console-status:has-text("connected")', { timeout: 15000 });
  await A.waitForSelector('#terminal[data-first-byte-ms]');
  figures.console_first_byte_ms = Number(await A.getAttribute('#terminal', 'data-first-byte-ms'));
  log(`console: first history byte on screen ${figures.console_first_byte_ms} ms after opening`);
  await A.locator('.xterm').click();
  await waitTerm(A, 'login:', 120000, true);
  await guestLogin(A);
  await A.keyboard.type('echo web$((6*7))\n');
  await waitTerm(A, 'web42');
  log('console: logged in, echo answered');
  await A.waitForSelector('#console-clients li[data-input="yes"]', { timeout: 10000 });
  await A.screenshot({ path: `${SHOTS}/console.png` });
  // A reload shows the history first.
  const tr = Date.now();
  await A.reload();
  await A.waitForSelector('.xterm-rows');
  await waitTerm(A, 'web42', 10000);
  await A.waitForSelector('#terminal[data-first-byte-ms]');
  figures.console_reload_first_byte_ms = Number(await A.getAttribute('#terminal', 'data-first-byte-ms'));
  log(`after reload the history is back in ${Date.now() - tr} ms (first byte ${figures.console_reload_first_byte_ms} ms after opening)`);

  // The wizard: steps, errors beside their field, review with dry run.
  // Keyboard only: n opens it, Enter goes to the next step.
  await A.goto(URL + '/#/');
  await A.waitForSelector(row('webui'));
  await A.locator('body').press('n');
  await A.waitForSelector('#f-name');
  // Help and ranges from xend's config schema.
  await A.waitForSelector('#f-memory-help:has-text("Initial memory in MB")');
  if (await A.getAttribute('#f-vcpus', 'max') !== '64') fail('vCPUs max not from the schema');
  await A.keyboard.press('Enter');
  await A.waitForSelector('#f-name-err:has-text("letters")');
  await A.keyboard.type('wiz1');
  await A.keyboard.press('Tab');
  await A.keyboard.press('Control+a');
  await A.keyboard.type('64');       // too little for this kernel: xend says so
  const throughSteps = async () => {
    await A.keyboard.press('Enter');
    await A.waitForSelector('#f-kernel');
    await A.keyboard.press('Enter');
    await A.waitForSelector('legend:has-text("Disk 0")');
    await A.keyboard.press('Enter');
    await A.waitForSelector('button:has-text("Add an interface")');
    await A.click('#next');
    await A.waitForSelector('#f-on_crash');     // "More": the schema's other keys
    await A.click('#next');
    await A.waitForSelector('#cfg-text:has-text("name = \'wiz1\'")');
  };
  await throughSteps();
  await A.click('#create');
  // xend's refusal lands beside the field it concerns, back on its step.
  await A.waitForSelector('#f-memory-err:has-text("too little")', { timeout: 30000 });
  log('xend\'s memory error shown beside the memory field');
  await A.fill('#f-memory', '96');
  await throughSteps();
  await A.waitForSelector('#cfg-text:has-text("memory = 96")');
  await A.waitForSelector('#review :text("Fits")', { timeout: 10000 });
  await A.screenshot({ path: `${SHOTS}/wizard.png`, fullPage: true });
  await A.click('#create');
  await A.waitForSelector('h1:has-text("wiz1")', { timeout: 60000 });
  await V.waitForSelector(row('wiz1'), { timeout: 15000 });
  log('wizard created wiz1; the viewer sees it');

  // A graphical console (vnc = 1) in noVNC: loaded only now.
  execFileSync('xm', ['create', process.env.XENSV_VNCCFG], { stdio: 'inherit' });
  await A.goto(URL + '/#/domain/webvnc');
  await A.click('#open-vnc');
  await A.waitForSelector('#vnc-screen[data-connected="yes"] canvas', { timeout: 30000 });
  await A.waitForTimeout(3000);      // the guest's text screen draws
  await A.screenshot({ path: `${SHOTS}/vnc.png` });
  await V.goto(URL + '/#/vnc/webvnc');
  await V.waitForSelector('#vnc-screen[data-connected="yes"] canvas', { timeout: 30000 });
  await V.waitForSelector('text=view only (viewer)');
  log('noVNC connected for the admin and (view only) for the viewer');
  execFileSync('xm', ['destroy', 'webvnc'], { stdio: 'inherit' });

  // An HVM domain's config through the wizard, to the dry run: the boot
  // step offers the builder's keys (CD-ROM, boot order, no kernel).
  await A.goto(URL + '/#/create');
  await A.waitForSelector('#f-name');
  await A.fill('#f-name', 'hvm1');
  await A.selectOption('#f-builder', 'hvm');
  await A.click('#next');
  await A.waitForSelector('#f-cdrom');
  if (await A.locator('#f-kernel').count()) fail('an hvm domain offered a kernel');
  await A.fill('#f-cdrom', process.env.XENSV_IMAGES + '/rootfs.ext2');
  await A.click('#next');
  await A.waitForSelector('legend:has-text("Disk 0")');
  await A.click('#next');
  await A.click('#next');
  await A.waitForSelector('#f-localtime');    // an hvm key on "More"
  await A.click('#next');
  await A.waitForSelector('#cfg-text:has-text("builder = \'hvm\'")');
  await A.waitForSelector('#cfg-text:has-text("boot = \'dc\'")');
  await A.waitForSelector('#review pre:has-text("(hvm")', { timeout: 10000 });
  log('hvm config reviewed (dry run SXP names the hvm image)');

  // Destroy by typing the name: wiz1 by keyboard from the list (j to it,
  // X, the name, Enter), webui from its page.
  await A.goto(URL + '/#/');
  await A.waitForSelector(row('wiz1'));
  await A.waitForTimeout(1500);      // the CPU history column fills
  await A.screenshot({ path: `${SHOTS}/overview.png` });
  for (let i = 0; i < 5 && await A.getAttribute(row('wiz1'), 'aria-selected') !== 'true'; i++)
    await A.locator('body').press('j');
  await A.keyboard.press('X');
  await A.waitForSelector('#destroy-name');
  await A.keyboard.type('wiz');
  if (!(await A.locator('dialog button.danger').isDisabled())) fail('destroy enabled with a wrong name');
  await A.keyboard.type('1');
  await A.keyboard.press('Enter');
  await V.waitForSelector(row('wiz1'), { state: 'detached', timeout: 20000 });
  log('destroyed wiz1 by keyboard and its typed name; gone from the viewer\'s list');
  await A.goto(URL + '/#/domain/webui');
  await A.click('button[data-action="destroy"]');
  await A.waitForSelector('#destroy-name');
  if (!(await A.locator('dialog button.danger').isDisabled())) fail('destroy enabled before the name');
  await A.fill('#destroy-name', 'webui');
  await A.click('dialog button.danger');
  await V.waitForSelector(row('webui'), { state: 'detached', timeout: 20000 });
  log('destroyed webui by its typed name; gone from the viewer\'s list');
  await browser.close();
  console.log('FIGURES ' + JSON.stringify(figures));
  log('ok');
} catch (e) {
  console.error(e.stack || String(e));
  await browser.close();
  process.exit(1);
}

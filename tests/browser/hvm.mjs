// hvm.mjs: an HVM domain through the wizard (builder hvm, a CD-ROM, the
// boot order), booted for real: its serial console shows the CD's login
// prompt and its screen (noVNC) is not blank.  Run by
// tests/system/test_web.py (web-browser-hvm) with the images that
// guest/build-hvm.sh built into the test's own directory (XENSV_HVM_DIR,
// which is xensv-image-dirs there).
import { log, fail, launch, loginPage, run } from './lib.mjs';

const URL = process.env.XENSV_URL;
const DIR = process.env.XENSV_HVM_DIR;
const browser = await launch();

await run(browser, async () => {
  const A = await loginPage(browser, URL, 'admin', process.env.XENSV_ADMIN_PW);

  // The CD-ROM is a host file QEMU reads: it must be in xensv-image-dirs
  // too (the "kernel", hvmloader, is only a name and is not checked).
  const refused = await A.evaluate(async () => {
    const s = await (await fetch('/api/session')).json();
    const r = await fetch('/api/domains', { method: 'POST', headers: { 'X-CSRF-Token': s.csrf, 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: "name = 'x'\nbuilder = 'hvm'\nmemory = 160\ncdrom = '/etc/shadow'\n" }) });
    return [r.status, (await r.json()).error.message];
  });
  if (refused[0] !== 403 || !/^cdrom \/etc\/shadow is outside the directories/.test(refused[1]))
    fail('cdrom outside xensv-image-dirs: ' + JSON.stringify(refused));
  log('refused:', refused[1]);

  // The wizard is driven by xend's config.schema: a key the pages have
  // never heard of appears in it (added to the schema on its way here).
  await A.route('**/api/config/schema', async (route) => {
    const r = await route.fetch();
    const j = await r.json();
    j.keys.push({ name: 'frobs', config: 'frobs', type: 'int', min: 1, max: 9, default: 3,
      help: 'How many frobs the domain gets.', builders: ['linux', 'hvm'] });
    await route.fulfill({ response: r, json: j });
  });
  await A.goto(URL + '/#/create');
  await A.waitForSelector('#f-name');
  await A.fill('#f-name', 'webhvm');
  await A.fill('#f-memory', '160');
  await A.selectOption('#f-builder', 'hvm');
  await A.click('#next');
  await A.waitForSelector('#f-cdrom');
  await A.fill('#f-cdrom', `${DIR}/ttylinux.iso`);
  await A.fill('#f-boot', 'dc');
  await A.click('#next');
  await A.waitForSelector('legend:has-text("Disk 0")');
  await A.fill('#f-uname', `file:${DIR}/ttylinux-hd.img`);
  await A.fill('#f-dev', 'hda');
  await A.fill('#f-mode', 'w');
  await A.click('#next');
  await A.click('#next');
  // "More": every other key of the schema for hvm, shaped by its type;
  // the invented key too, which no page names.
  await A.waitForSelector('#f-localtime');
  if (await A.locator('#f-kernel').count()) fail('an hvm domain offered a kernel');
  await A.waitForSelector('#f-frobs-help:has-text("How many frobs")');
  if (await A.getAttribute('#f-frobs', 'max') !== '9' || await A.getAttribute('#f-frobs', 'placeholder') !== '3')
    fail('frobs: not the schema\'s range and default');
  await A.fill('#f-frobs', '12');
  await A.click('#next');
  await A.waitForSelector('#f-frobs-err:has-text("1 to 9")');
  await A.fill('#f-frobs', '');
  await A.selectOption('#f-on_crash', 'preserve');
  await A.selectOption('#f-localtime', '1');
  await A.click('#next');
  await A.waitForSelector('#cfg-text:has-text("on_crash = \'preserve\'")');
  await A.waitForSelector('#cfg-text:has-text("localtime = 1")');
  if (await A.locator('#cfg-text:has-text("frobs")').count()) fail('an empty key was written');
  log('wizard: the schema\'s keys on "More" (an invented one too: range, default, help, error)');
  await A.waitForSelector('#cfg-text:has-text("builder = \'hvm\'")');
  await A.waitForSelector('#review :text("Fits")', { timeout: 15000 });
  const t0 = Date.now();
  await A.click('#create-console');
  await A.waitForSelector('.xterm-rows', { timeout: 60000 });
  // SeaBIOS, GRUB from the CD, the kernel, then the CD's own login.
  const end = Date.now() + 240000;
  let text = '';
  while (Date.now() < end) {
    text = await A.locator('.xterm-rows').innerText();
    if (/ttylinux-cd login:/.test(text)) break;
    await A.waitForTimeout(500);
  }
  if (!/ttylinux-cd login:/.test(text)) fail('no login prompt from the CD:\n' + text);
  log(`webhvm: the CD's login prompt on the serial console ${Date.now() - t0} ms after Create`);

  await A.goto(URL + '/#/domain/webhvm');
  await A.click('#open-vnc');
  await A.waitForSelector('#vnc-screen[data-connected="yes"] canvas', { timeout: 30000 });
  // Not blank: some pixels of the guest's text screen are lit.
  let lit = 0;
  for (let i = 0; i < 30 && lit < 1000; i++) {
    await A.waitForTimeout(500);
    lit = await A.evaluate(() => {
      const c = document.querySelector('#vnc-screen canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let p = 0; p < d.length; p += 4) if (d[p] + d[p + 1] + d[p + 2] > 60) n++;
      return n;
    });
  }
  if (lit < 1000) fail(`the screen is blank (${lit} lit pixels)`);
  log(`webhvm: the screen in noVNC has ${lit} lit pixels`);
  await A.screenshot({ path: `${process.env.XENSV_SHOTS}/hvm.png` });
});

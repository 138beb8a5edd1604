// jobs.mjs: save, restore and migrate from the pages, with the progress
// bar fed by xend's job.progress events (docs/WEB.md).  Run by
// tests/system/test_web.py (web-browser-jobs) against a private xend +
// xenconsoled + xensv with xensv-save-dirs XENSV_SAVE_DIR and a running
// domain webjob.
import { execFileSync } from 'node:child_process';
import { log, fail, launch, loginPage, run } from './lib.mjs';

const URL = process.env.XENSV_URL;
const SAVE_DIR = process.env.XENSV_SAVE_DIR;
const browser = await launch();
const login = (user, pw) => loginPage(browser, URL, user, pw);

const row = (name) => `#domains tr[data-name="${name}"]`;

// Every state a job's row passes through, as the page showed it.
async function watchJobs(page) {
  await page.evaluate(() => {
    window.__jobs = [];
    new MutationObserver(() => {
      for (const j of document.querySelectorAll('#jobs .job')) {
        const bar = j.querySelector('progress');
        const s = { op: j.dataset.op, status: j.dataset.status, value: bar.hasAttribute('value') ? bar.value : null,
          figs: j.querySelector('.job-figs').textContent };
        const last = window.__jobs.filter((x) => x.op === s.op).pop();
        if (!last || last.status !== s.status || last.value !== s.value || last.figs !== s.figs) window.__jobs.push(s);
      }
    }).observe(document.getElementById('jobs'), { subtree: true, childList: true, characterData: true, attributes: true });
  });
}

// A REST call from the page with the session's CSRF token (or a given one).
async function post(page, path, body, csrf) {
  return page.evaluate(async ([p, b, c]) => {
    const s = await (await fetch('/api/session')).json();
    const r = await fetch(p, { method: 'POST', headers: { 'X-CSRF-Token': c ?? s.csrf, 'Content-Type': 'application/json' },
      body: JSON.stringify(b) });
    return { status: r.status, body: await r.json().catch(() => null) };
  }, [path, body, csrf]);
}

await run(browser, async () => {
  const A = await login('admin', process.env.XENSV_ADMIN_PW);
  const V = await login('viewer', process.env.XENSV_VIEWER_PW);
  await V.waitForSelector(row('webjob'), { timeout: 30000 });   // made by the test
  await watchJobs(A);
  await watchJobs(V);

  // The door: a viewer may not save, nobody may name a file elsewhere,
  // and no change passes without the CSRF token.
  let r = await post(V, '/api/domains/webjob/save', { file: 'x.save' });
  if (r.status !== 403) fail('viewer save: HTTP ' + r.status);
  r = await post(V, '/api/restore', { file: `${SAVE_DIR}/x.save` });
  if (r.status !== 403) fail('viewer restore: HTTP ' + r.status);
  r = await post(A, '/api/domains/webjob/save', { file: 'x.save' }, 'wrong');
  if (r.status !== 403 || r.body.error.code !== 'csrf') fail('save without CSRF: ' + JSON.stringify(r));
  r = await post(A, '/api/domains/webjob/save', { file: '/tmp/webjob-outside.save' });
  if (r.status !== 403 || !/outside the directories .*save_dirs/.test(r.body.error.message))
    fail('save outside xensv-save-dirs: ' + JSON.stringify(r));
  r = await post(A, '/api/restore', { file: '/etc/passwd' });
  if (r.status !== 403 || !/save_dirs/.test(r.body.error.message)) fail('restore of /etc/passwd: ' + JSON.stringify(r));
  log('refused: viewer (403), no CSRF, a file outside xensv-save-dirs:', r.body.error.message);
  await V.goto(URL + '/#/domain/webjob');
  await V.waitForSelector('button[data-action="save"][disabled]');
  await V.waitForSelector('button[data-action="migrate"][disabled]');
  await V.goto(URL + '/#/');
  if (await V.locator('#restore').count()) fail('the viewer is offered Restore');
  await V.waitForSelector(row('webjob'));

  // Save from the domain page: the bar moves, ends, the domain leaves
  // the list (the viewer's, live).
  await A.goto(URL + '/#/domain/webjob');
  await A.click('button[data-action="save"]');
  await A.waitForSelector('#save-dialog');
  const dir = await A.inputValue('#save-dir');
  if (dir !== SAVE_DIR) fail('save directory offered: ' + dir);
  await A.fill('#save-file', 'webjob.save');
  const t0 = Date.now();
  await A.click('#save-dialog-go');
  await A.waitForSelector('#jobs .job[data-op="save"][data-status="completed"]', { timeout: 120000 });
  const saveMs = Date.now() - t0;
  await V.waitForSelector(row('webjob'), { state: 'detached', timeout: 20000 });
  const seen = await A.evaluate(() => window.__jobs.filter((j) => j.op === 'save'));
  const active = seen.filter((j) => j.status === 'active' && j.value > 0 && j.value < 100);
  if (active.length < 1) fail('the save bar never moved: ' + JSON.stringify(seen));
  if (!/MB\/s|KB\/s/.test(active[0].figs)) fail('no rate on the bar: ' + active[0].figs);
  const vseen = await V.evaluate(() => window.__jobs.filter((j) => j.op === 'save' && j.status === 'completed'));
  if (!vseen.length) fail('the viewer did not see the save end');
  log(`saved in ${saveMs} ms; the bar showed ${active.length} steps (${active.map((j) => Math.round(j.value)).join(', ')} %),` +
    ` last "${seen[seen.length - 1].figs}"; webjob gone from the viewer's list`);
  await A.screenshot({ path: `${process.env.XENSV_SHOTS}/save.png` });

  // Restore from the overview: the file is offered, the domain comes back.
  await A.goto(URL + '/#/');
  await A.click('#restore');
  await A.waitForSelector('#restore-dialog');
  const opts = await A.locator('#restore-file option').allTextContents();
  if (!opts.some((o) => o.startsWith(`${SAVE_DIR}/webjob.save`))) fail('restore offers ' + JSON.stringify(opts));
  await A.selectOption('#restore-file', `${SAVE_DIR}/webjob.save`);
  await A.click('#restore-dialog-go');
  await V.waitForSelector(row('webjob'), { timeout: 120000 });
  await A.waitForSelector('#jobs .job[data-op="restore"][data-status="completed"]', { timeout: 60000 });
  await V.waitForSelector(row('webjob') + ':not([data-status="paused"])');
  log('restored from the overview; webjob back in the viewer\'s list');

  // The pinning grid and sedf: vCPU 0 off CPU 0 (when there are two),
  // the row shows what xend reads back; period and slice as xm sched-sedf.
  await A.goto(URL + '/#/domain/webjob');
  await A.waitForSelector('#pins tr[data-vcpu="0"]');
  const ncpu = await A.locator('#pins tr[data-vcpu="0"] input[type=checkbox]').count();
  if (ncpu >= 2) {
    await A.uncheck('#pins input[data-vcpu="0"][data-cpu="0"]');
    await A.waitForSelector('#pins tr[data-vcpu="0"][data-affinity="1"]', { timeout: 10000 });
    const v = await A.evaluate(async () => (await (await fetch('/api/domains/webjob/vcpus')).json())[0].affinity);
    if (v !== '1') fail('vCPU 0 affinity after the grid: ' + v);
    log('pinning grid: vCPU 0 now on CPU 1 only (xend reads back "1")');
  }
  await A.fill('#sedf-period', '40');
  await A.fill('#sedf-slice', '10');
  await A.click('#sedf button[type=submit]');
  await A.waitForFunction(async () => {
    const d = await (await fetch('/api/domains/webjob')).json();
    return d.sched && d.sched.sedf && d.sched.sedf.period === 40 && d.sched.sedf.slice === 10;
  }, null, { timeout: 10000, polling: 500 });
  log('sedf: period 40 ms, slice 10 ms set from the page');
  if (!(await V.locator('#sedf-period').count())) await V.goto(URL + '/#/domain/webjob');
  await V.waitForSelector('#pins input[data-cpu="0"][disabled]');

  // Migrate to a port nobody listens on: the page says why it failed,
  // and the domain stays.
  await A.click('button[data-action="migrate"]');
  await A.fill('#migrate-host', '127.0.0.1');
  await A.fill('#migrate-port', process.env.XENSV_DEAD_PORT);
  await A.click('#migrate-dialog-go');
  await A.waitForSelector('#toast.bad', { timeout: 60000 });
  const why = await A.textContent('#toast');
  log('migrate to a dead port refused:', why);
  if (!/webjob/.test(why)) fail('migrate error: ' + why);
  await A.waitForSelector('#dom-state:not(:has-text("gone"))');
  execFileSync('xm', ['destroy', 'webjob'], { stdio: 'inherit' });
});

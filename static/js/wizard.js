// wizard.js: create a domain in steps: General, Boot, Disks, Network,
// Review (the config file, xensv's dry run, free memory), then Create.
// Help texts, ranges and which keys a builder has come from xend's config
// schema (GET /api/config/schema).
import { call, el, toast, getSession } from './api.js';
import { configFile } from './config.js';

const STEPS = ['General', 'Boot', 'Disks', 'Network', 'More', 'Review'];
const REVIEW = STEPS.length - 1;
// Where the schema's keys go: these steps by name; disks and vifs have
// their own editors; every other key xend's schema lists (for the
// builder chosen) is on the "More" step, so a new key appears there with
// no change here.
const GENERAL = ['name', 'memory', 'vcpus', 'builder'];
const BOOT = ['kernel', 'ramdisk', 'root', 'extra', 'cdrom', 'boot'];
const OWN = ['disk', 'vif', 'nics', 'vncpasswd', 'vncpasswd_viewonly'];

export async function showWizard(view) {
  const s = await getSession();
  if (s.role !== 'admin') {
    view.append(el('p', { class: 'error' }, 'Viewers cannot create domains.'));
    return null;
  }
  const img = '/var/lib/xen/images/ttylinux';
  const c = { name: '', memory: 96, vcpus: 1, kernel: `${img}/vmlinuz`, ramdisk: `${img}/initrd.img`,
    root: '/dev/sda1 ro', extra: '', disks: [{ uname: `file:${img}/rootfs.ext2`, dev: 'sda1', mode: 'r' }], vifs: [] };
  let schema = {};
  let order = [];
  try {
    for (const k of (await call('GET', '/api/config/schema')).keys) {
      if (!k.config) continue;       // folded into other keys
      schema[k.name] = k;
      order.push(k.name);
    }
  } catch { schema = {}; order = []; }
  c.more = {};
  const moreKeys = () => order.filter((k) => !GENERAL.includes(k) && !BOOT.includes(k) && !OWN.includes(k) &&
    !['disks', 'vifs', 'ignored'].includes(schema[k].type) && forBuilder(k));
  const forBuilder = (key) => !schema[key] || !schema[key].builders || schema[key].builders.includes(c.builder || 'linux');
  let step = 0;
  const steps = el('ol', { class: 'steps' });
  const body = el('form', { class: 'card wizard', id: 'wizard', novalidate: true });
  view.append(el('nav', { class: 'crumbs' }, el('a', { href: '#/' }, 'Domains'), ' / create'),
    el('h1', {}, 'Create a domain'), steps, body);

  // One input for a key, shaped by its schema entry: a number with the
  // range for int, a choice for bool and enum (the default named), text
  // otherwise; the schema's help under it.
  const field = (label, key, attrs = {}, obj = c) => {
    const id = 'f-' + key;
    const sk = obj === c || obj === c.more ? schema[key] : null;
    const a = Object.assign({ id, name: key, value: obj[key] ?? '', 'aria-describedby': sk ? id + '-help' : null }, attrs);
    const def = sk && sk.default != null ? String(sk.default) : null;
    let input;
    if (sk && (sk.type === 'bool' || sk.values)) {
      const vals = sk.type === 'bool' ? [['1', 'yes'], ['0', 'no']] : sk.values.map((v) => [v, v]);
      const dflt = sk.type === 'bool' ? (sk.default ? 'yes' : 'no') : def;
      input = el('select', { id, name: key, 'aria-describedby': id + '-help' },
        obj === c.more ? el('option', { value: '' }, `(default${dflt != null ? ': ' + dflt : ''})`) : null,
        vals.map(([v, t]) => el('option', { value: v, selected: String(obj[key] ?? '') === v }, t)));
      input.addEventListener('change', () => {
        if (input.value === '') delete obj[key];
        else obj[key] = sk.type === 'bool' ? Number(input.value) : input.value;
      });
    } else {
      if (sk && sk.type === 'int') Object.assign(a, { type: 'number', min: sk.min, max: sk.max });
      if (def != null && def !== 'null' && a.placeholder == null) a.placeholder = def;
      input = el('input', a);
      input.addEventListener('input', () => {
        if (input.value === '' && obj === c.more) delete obj[key];
        else obj[key] = a.type === 'number' ? Number(input.value) : input.value;
      });
    }
    return el('div', { class: 'field' }, el('label', { for: id }, label), input,
      sk ? el('p', { class: 'muted help', id: id + '-help' }, sk.help) : null,
      el('p', { class: 'error', id: id + '-err', role: 'alert' }));
  };
  const builderField = () => {
    const names = { linux: 'linux: a kernel booted directly', hvm: 'hvm: a whole PC (firmware, CD-ROM, disk)' };
    const sel = el('select', { id: 'f-builder', name: 'builder', 'aria-describedby': schema.builder ? 'f-builder-help' : null },
      (schema.builder?.values || ['linux', 'hvm']).map((v) =>
        el('option', { value: v, selected: (c.builder || 'linux') === v }, names[v] || v)));
    sel.addEventListener('change', () => {
      c.builder = sel.value;
      if (c.builder === 'hvm') {
        c.vnc = 1;
        c.boot = c.boot || 'dc';
        c.disks = c.disks.map((d) => Object.assign({}, d, { dev: d.dev.startsWith('hd') ? d.dev : 'hda' }));
      } else delete c.vnc;
    });
    return el('div', { class: 'field' }, el('label', { for: 'f-builder' }, 'Builder'), sel,
      schema.builder ? el('p', { class: 'muted help', id: 'f-builder-help' }, schema.builder.help) : null);
  };
  const setErr = (key, msg) => {
    const e = document.getElementById('f-' + key + '-err');
    if (e) e.textContent = msg || '';
  };
  function check() {
    let ok = true;
    const bad = (k, m) => { setErr(k, m); ok = false; };
    if (step === 0) {
      setErr('name'); setErr('memory'); setErr('vcpus');
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(c.name) || /^\d+$/.test(c.name))
        bad('name', 'letters, digits, _ . - (not all digits), starting with a letter or digit');
      if (!(c.memory >= 16)) bad('memory', 'at least 16 MB');
      if (!(c.vcpus >= 1 && c.vcpus <= 64)) bad('vcpus', '1 to 64');
    }
    if (step === 4) {
      for (const k of moreKeys()) {
        const sk = schema[k], v = c.more[k];
        setErr(k);
        if (sk.type === 'int' && v != null && !(Number.isInteger(v) && v >= sk.min && v <= sk.max))
          bad(k, `${sk.min} to ${sk.max}`);
      }
    }
    if (step === 1 && forBuilder('kernel')) {
      setErr('kernel');
      if (!(c.kernel || '').startsWith('/')) bad('kernel', 'an absolute path under the allowed image directories');
    }
    if (step === 1 && c.builder === 'hvm') {
      setErr('boot');
      if (!/^[acdn]+$/.test(c.boot || '')) bad('boot', 'letters c, d, a, n');
    }
    return ok;
  }
  async function render() {
    steps.replaceChildren(...STEPS.map((n, i) => el('li', { class: i === step ? 'cur' : i < step ? 'done' : null,
      'aria-current': i === step ? 'step' : null }, n)));
    const nav = el('div', { class: 'buttons' },
      step ? el('button', { type: 'button', id: 'back', onclick: () => { step--; render(); } }, 'Back') : null,
      step < REVIEW ? el('button', { type: 'submit', id: 'next' }, 'Next') : null);
    let content = [];
    if (step === 0) content = [field('Name', 'name', { required: true, autocomplete: 'off' }),
      field('Memory (MB)', 'memory', { type: 'number', min: 16 }), field('vCPUs', 'vcpus', { type: 'number', min: 1, max: 64 }),
      builderField()];
    if (step === 1) {
      // The boot keys of this builder, as the schema says.
      const labels = { kernel: 'Kernel', ramdisk: 'Ramdisk', root: 'Root device', extra: 'Extra kernel arguments',
        cdrom: 'CD-ROM image', boot: 'Boot order' };
      content = BOOT.filter((k) => (schema[k] ? forBuilder(k) : k !== 'cdrom' && k !== 'boot' || c.builder === 'hvm'))
        .map((k) => field(labels[k], k));
    }
    if (step === 2) {
      content = c.disks.map((d, i) => el('fieldset', {}, el('legend', {}, `Disk ${i}`),
        field('Image (file:PATH or phy:DEV)', 'uname', {}, d), field('Guest device', 'dev', {}, d),
        field('Mode (r or w)', 'mode', {}, d)));
      content.push(el('button', { type: 'button', onclick: () => { c.disks.push({ uname: 'file:', dev: 'sdb1', mode: 'r' }); render(); } }, 'Add a disk'));
    }
    if (step === 3) {
      content = c.vifs.map((v, i) => el('fieldset', {}, el('legend', {}, `Interface ${i}`),
        field('Bridge', 'bridge', {}, v), field('MAC (empty: xend picks)', 'mac', {}, v)));
      content.push(el('button', { type: 'button', onclick: () => { c.vifs.push({ bridge: '', mac: '' }); render(); } }, 'Add an interface'));
    }
    if (step === 4) {
      content = [el('p', { class: 'muted' }, 'Every other key of xend\'s config schema for this builder; empty means its default.')];
      content.push(...moreKeys().map((k) => field(k, k, {}, c.more)));
    }
    if (step === REVIEW) {
      const text = configFile(c);
      const result = el('div', { id: 'review' }, 'Checking…');
      content = [el('h2', {}, 'Config file'), el('pre', { id: 'cfg-text' }, text), result];
      nav.append(
        el('button', { type: 'button', id: 'download', onclick: () => {
          const a = el('a', { href: URL.createObjectURL(new Blob([text])), download: c.name || 'domain' });
          a.click();
        } }, 'Download config'),
        el('button', { type: 'button', id: 'create', onclick: () => create(text, false) }, 'Create'),
        el('button', { type: 'button', id: 'create-console', onclick: () => create(text, true) }, 'Create and open console'));
      call('POST', '/api/config/check', { text }).then((r) => {
        result.replaceChildren(
          el('p', { class: r.memory.fits ? 'ok' : 'error' }, r.memory.fits ? `Fits: needs ${r.memory.need} MB, ${r.memory.free} MB free.`
            : `Needs ${r.memory.need} MB but only ${r.memory.free} MB is free.`),
          ...r.warnings.map((w) => el('p', { class: 'warn' }, w)),
          el('p', { class: 'muted' }, 'Files must be under: ' + r.policy.image_dirs.join(', ')),
          el('h2', {}, 'SXP'), el('pre', {}, r.sxp));
      }).catch((e) => { result.replaceChildren(el('p', { class: 'error', role: 'alert' }, e.message)); });
    }
    body.replaceChildren(...content, nav);
    const first = body.querySelector('input');
    if (first) first.focus();
  }
  async function create(text, open) {
    try {
      const d = await call('POST', '/api/domains', { text });
      toast(`Started ${d.name} (id ${d.domid})`);
      location.hash = (open ? '#/console/' : '#/domain/') + encodeURIComponent(d.name);
    } catch (e) {
      // xend's reason beside the field it concerns, when it names one.
      const f = fieldOf(e.message);
      if (f) {
        step = f.step;
        await render();
        setErr(f.key, e.message);
        const input = document.getElementById('f-' + f.key);
        if (input) input.focus();
        return;
      }
      document.getElementById('review').prepend(el('p', { class: 'error', role: 'alert', id: 'create-error' }, e.message));
    }
  }
  // Which step and field an error message is about (xend's wording).
  function fieldOf(msg) {
    const m = /^(\w+)\b/.exec(msg);
    if (m && moreKeys().includes(m[1])) return { step: 4, key: m[1] };
    const rules = [[/\bname\b/i, 0, 'name'], [/\bmemory\b|\bMB\b/i, 0, 'memory'], [/\bvcpus?\b/i, 0, 'vcpus'],
      [/\bkernel\b/i, 1, 'kernel'], [/\bramdisk\b/i, 1, 'ramdisk'], [/\bdisk\b/i, 2, 'uname']];
    for (const [re, st, key] of rules) if (re.test(msg)) return { step: st, key };
    return null;
  }
  body.addEventListener('submit', (e) => {
    e.preventDefault();
    if (check()) { step++; render(); }
  });
  render();
  return null;
}

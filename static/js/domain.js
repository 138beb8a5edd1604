// domain.js: one domain: details, actions, memory, config, messages, graph.
import { call, onEvents, el, fmtUptime, toast, getSession, cpuCount, cpuSet } from './api.js';
import { configFile } from './config.js';
import { drawGraph, drawIO } from './graph.js';
import { saveDialog, migrateDialog } from './jobs.js';

// Destroy asks for the name, typed.
export function confirmDestroy(name, after) {
  const input = el('input', { id: 'destroy-name', 'aria-label': 'Domain name', autocomplete: 'off' });
  const go = el('button', { class: 'danger', type: 'submit', disabled: true }, 'Destroy');
  const err = el('p', { class: 'error', role: 'alert' });
  const dlg = el('dialog', { class: 'card', 'aria-labelledby': 'destroy-title' },
    el('form', { method: 'dialog' },
      el('h2', { id: 'destroy-title' }, `Destroy ${name}?`),
      el('p', {}, 'The domain stops at once, as if its power were cut. Type its name to confirm:'),
      input, err,
      el('div', { class: 'buttons' },
        el('button', { type: 'button', onclick: () => dlg.close() }, 'Cancel'), go)));
  input.addEventListener('input', () => { go.disabled = input.value !== name; });
  dlg.querySelector('form').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (input.value !== name) return;
    try {
      await call('POST', `/api/domains/${encodeURIComponent(name)}/destroy`, { confirm: input.value });
      dlg.close();
      toast(`${name} destroyed`);
      if (after) after();
    } catch (ex) {
      err.textContent = ex.message;
    }
  });
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  input.focus();
}

export async function showDomain(view, name) {
  const s = await getSession();
  const admin = s.role === 'admin';
  let d;
  try {
    d = await call('GET', `/api/domains/${encodeURIComponent(name)}`);
  } catch (e) {
    view.append(el('p', { class: 'error' }, e.message), el('a', { href: '#/' }, 'Back to the domains'));
    return null;
  }
  const path = `/api/domains/${encodeURIComponent(name)}`;
  const state = el('span', { id: 'dom-state', class: 'state ' + d.status }, d.status);
  const facts = el('dl', { class: 'facts' });
  const btn = (label, key, fn, cls) => el('button', { 'data-action': key, class: cls, disabled: !admin, onclick: fn,
    title: admin ? null : 'viewers cannot change anything' }, label);
  const doAct = async (op, body = {}) => {
    try {
      await call('POST', `${path}/${op}`, body);
      toast(`${name}: ${op} done`);
    } catch (e) { toast(`${name}: ${e.message}`, true); }
  };
  const slider = el('input', { id: 'mem-slider', type: 'range', min: 16, max: d.maxmem, value: d.memory_target ?? d.memory, disabled: !admin, 'aria-label': 'Memory target (MB)' });
  const memOut = el('output', { for: 'mem-slider', id: 'mem-out' }, `${slider.value} MB`);
  slider.addEventListener('input', () => { memOut.textContent = `${slider.value} MB`; });
  slider.addEventListener('change', async () => {
    try {
      await call('PUT', `${path}/memory`, { memory: Number(slider.value) });
      toast(`${name}: memory target ${slider.value} MB`);
    } catch (e) { toast(`${name}: ${e.message}`, true); }
  });
  // vCPUs online and the credit scheduler (docs/SCHEDULERS.md).
  const vcpus = el('input', { id: 'vcpus', type: 'number', min: 1, max: d.vcpus, value: d.vcpus, disabled: !admin });
  const weight = el('input', { id: 'weight', type: 'number', min: 1, max: 65535,
    value: d.sched?.credit?.weight ?? 256, disabled: !admin });
  const cap = el('input', { id: 'cap', type: 'number', min: 0, value: d.sched?.credit?.cap ?? 0, disabled: !admin });
  const put = async (what, body) => {
    try {
      await call('PUT', `${path}/${what}`, body);
      toast(`${name}: ${what} set`);
    } catch (e) { toast(`${name}: ${e.message}`, true); }
  };
  const cpuCard = el('section', { class: 'card' }, el('h2', {}, 'vCPUs and scheduler'),
    el('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); put('vcpus', { vcpus: Number(vcpus.value) }); } },
      el('label', { for: 'vcpus' }, `vCPUs online (1 – ${d.vcpus})`), vcpus,
      el('button', { type: 'submit', disabled: !admin }, 'Set')),
    el('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); put('sched-credit', { weight: Number(weight.value), cap: Number(cap.value) }); } },
      el('label', { for: 'weight' }, 'Credit weight'), weight,
      el('label', { for: 'cap' }, 'Cap (% of one CPU, 0: none)'), cap,
      el('button', { type: 'submit', disabled: !admin }, 'Set')));
  // sedf: period and slice (ms), as xm sched-sedf.
  const period = el('input', { id: 'sedf-period', type: 'number', min: 1, value: d.sched?.sedf?.period ?? '', disabled: !admin });
  const slice = el('input', { id: 'sedf-slice', type: 'number', min: 1, value: d.sched?.sedf?.slice ?? '', disabled: !admin });
  cpuCard.append(el('form', { class: 'inline', id: 'sedf', onsubmit: (e) => {
    e.preventDefault();
    put('sched-sedf', { period: Number(period.value), slice: Number(slice.value) });
  } },
  el('label', { for: 'sedf-period' }, 'sedf period (ms)'), period,
  el('label', { for: 'sedf-slice' }, 'slice (ms)'), slice,
  el('button', { type: 'submit', disabled: !admin }, 'Set')));
  // Pinning: a row per vCPU, a box per host CPU (xm vcpu-pin).
  const pins = el('table', { class: 'pins', id: 'pins' });
  cpuCard.append(el('h2', {}, 'vCPU pinning'), pins);
  const showPins = async () => {
    const [list, host] = await Promise.all([call('GET', `${path}/vcpus`), call('GET', '/api/host')]);
    const n = host.nr_cpus || 1;
    pins.replaceChildren(el('tr', {}, el('th', { scope: 'col' }, 'vCPU'),
      [...Array(n).keys()].map((c) => el('th', { scope: 'col' }, `CPU ${c}`)), el('th', {}, 'runs on')),
    ...list.map((v) => {
      const on = cpuSet(v.affinity, n);
      const boxes = on.map((x, c) => el('input', { type: 'checkbox', checked: x, disabled: !admin,
        'data-vcpu': v.vcpu, 'data-cpu': c, 'aria-label': `vCPU ${v.vcpu} may run on CPU ${c}` }));
      for (const b of boxes) b.addEventListener('change', async () => {
        const cpus = boxes.map((x, c) => (x.checked ? c : null)).filter((c) => c !== null).join(',');
        if (!cpus) { b.checked = true; toast('a vCPU needs at least one CPU', true); return; }
        try {
          await call('PUT', `${path}/vcpus/pin`, { vcpu: v.vcpu, cpus });
          toast(`${name}: vCPU ${v.vcpu} on CPUs ${cpus}`);
        } catch (e) { toast(`${name}: ${e.message}`, true); }
        showPins();
      });
      return el('tr', { 'data-vcpu': v.vcpu, 'data-affinity': v.affinity }, el('th', { scope: 'row' }, v.vcpu),
        boxes.map((b) => el('td', {}, b)), el('td', {}, v.cpu >= 0 ? `CPU ${v.cpu}` : '-'));
    }));
  };
  showPins().catch((e) => pins.replaceChildren(el('tr', {}, el('td', {}, e.message))));
  const canvas = el('canvas', { id: 'graph', width: 640, height: 160, 'aria-label': 'CPU and memory, last 10 minutes', role: 'img' });
  const io = el('canvas', { id: 'graph-io', width: 640, height: 120, 'aria-label': 'network and disk bytes per second, last 10 minutes', role: 'img' });
  const dmesg = el('pre', { class: 'log', id: 'dmesg' });
  view.append(
    el('nav', { class: 'crumbs' }, el('a', { href: '#/' }, 'Domains'), ' / ', name),
    el('section', { class: 'toolbar' }, el('h1', {}, name), state,
      el('a', { class: 'button', id: 'open-console', href: '#/console/' + encodeURIComponent(name) }, 'Console'),
      d.vnc_port ? el('a', { class: 'button', id: 'open-vnc', href: '#/vnc/' + encodeURIComponent(name) }, 'Screen (VNC)') : null),
    el('section', { class: 'actions', 'aria-label': 'actions' },
      btn('Pause', 'pause', () => doAct('pause')),
      btn('Unpause', 'unpause', () => doAct('unpause')),
      btn('Shut down', 'shutdown', () => confirm(`Shut down ${name}?`) && doAct('shutdown')),
      btn('Reboot', 'reboot', () => confirm(`Reboot ${name}?`) && doAct('reboot')),
      btn('Save…', 'save', () => saveDialog(call, name, toast).catch((e) => toast(e.message, true))),
      btn('Migrate…', 'migrate', () => migrateDialog(call, name, toast)),
      btn('Destroy…', 'destroy', () => confirmDestroy(name, () => { location.hash = '#/'; }), 'danger')),
    el('div', { class: 'grid' },
      el('section', { class: 'card' }, el('h2', {}, 'Details'), facts),
      el('section', { class: 'card' }, el('h2', {}, 'Memory'),
        el('label', { for: 'mem-slider' }, `Target (16 – ${d.maxmem} MB, maxmem)`), slider, memOut,
        el('h2', {}, 'Last 10 minutes'), canvas,
        el('p', { class: 'muted' }, el('span', { class: 'key cpu' }, 'CPU %'), ' ', el('span', { class: 'key mem' }, 'memory MB')),
        io,
        el('p', { class: 'muted' }, el('span', { class: 'key rx' }, 'net in'), ' ', el('span', { class: 'key tx' }, 'net out'), ' ',
          el('span', { class: 'key rd' }, 'disk read'), ' ', el('span', { class: 'key wr' }, 'disk write'), ' (bytes/s)')),
      cpuCard),
    el('section', { class: 'card' }, el('h2', {}, 'Config file'), el('pre', { id: 'cfgfile' }, configFile(d.config || {}))),
    el('section', { class: 'card' }, el('h2', {}, 'SXP (xm list -l)'), el('pre', { id: 'sxp' }, d.sxp || '')),
    el('section', { class: 'card' }, el('h2', {}, 'Messages (xm dmesg)'), dmesg));

  function fill(x) {
    state.textContent = x.status;
    state.className = 'state ' + x.status;
    const rows = [['Id', x.domid], ['State', `${x.status} (${x.state})`], ['CPU', `${(x.cpu_pct || 0).toFixed(1)} %`],
      ['Memory', `${x.memory} MB (target ${x.memory_target ?? x.memory}, max ${x.maxmem})`],
      ['vCPUs', x.vcpus_online ? `${cpuCount(x.vcpus_online)} of ${x.vcpus} online (${x.vcpus_online})` : x.vcpus], ['Uptime', fmtUptime(x.uptime)],
      ['Console', x.console_port ? `port ${x.console_port}` : '-'], ['Restarts', x.restart_count ?? 0],
      ['QEMU pid', x.pid ?? '-']];
    facts.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  }
  fill(d);
  let hist = null, prev = null;
  call('GET', `${path}/history`).then((h) => { hist = h; drawGraph(canvas, hist); drawIO(io, hist); }).catch(() => {});
  call('GET', '/api/dmesg').then((m) => {
    const lines = (m.lines || []).filter((l) => l.includes(name) || l.includes(`domain ${d.domid}`));
    dmesg.textContent = lines.join('\n') || '(no messages about this domain)';
  }).catch((e) => { dmesg.textContent = e.message; });
  const off = onEvents((m) => {
    if (m.type !== 'domains') return;
    const x = (m.domains || []).find((y) => y.name === name);
    if (!x) { state.textContent = 'gone'; state.className = 'state dying'; return; }
    fill(x);
    if (document.activeElement !== slider) {
      slider.value = x.memory_target ?? x.memory;
      memOut.textContent = `${slider.value} MB`;
    }
    if (hist) {
      const st = x.stats || {}, p = prev;
      const dt = p ? (Date.now() / 1000 - p.t) : 0;
      const rate = (k) => (p && dt > 0 ? Math.max(0, ((st[k] || 0) - (p.st[k] || 0)) / dt) : 0);
      hist.samples.push([Date.now() / 1000, x.cpu_pct || 0, x.memory,
        rate('net_rx'), rate('net_tx'), rate('blk_rd'), rate('blk_wr')]);
      prev = { t: Date.now() / 1000, st };
      if (hist.samples.length > 600) hist.samples.shift();
      drawGraph(canvas, hist);
      drawIO(io, hist);
    }
  });
  return off;
}

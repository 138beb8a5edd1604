// overview.js: the live domain table.  Keys as in xm top: j/k or arrows
// move, Enter opens, p pause/unpause, s shut down, r reboot, X destroy,
// a console, b balloon (the domain page), / filter, n create.
import { onEvents, call, el, fmtUptime, toast, getSession, cpuCount } from './api.js';
import { confirmDestroy } from './domain.js';
import { drawSeries, CPU } from './graph.js';
import { restoreDialog } from './jobs.js';

const COLS = [
  ['name', 'Name'], ['domid', 'Id'], ['status', 'State'], ['cpu_pct', 'CPU%'],
  ['memory', 'Mem (MB)'], ['memory_target', 'Target'], ['maxmem', 'Max'],
  ['vcpus', 'vCPUs'], ['uptime', 'Uptime'], ['console_port', 'Console'],
  ['cpu_hist', 'CPU, 10 min'],
];

export async function showOverview(view) {
  const s = await getSession();
  const admin = s.role === 'admin';
  let domains = [];
  let sortKey = localStorage.getItem('xensv.sort') || 'domid';
  let sortDir = Number(localStorage.getItem('xensv.dir') || 1);
  let selected = null;
  // Each domain's CPU over the last 10 minutes: the server's history when
  // the page opens, then a sample a second from the event socket.
  const hist = new Map();
  const fetching = new Set();
  function track(list) {
    const now = Date.now() / 1000;
    for (const d of list) {
      if (d.domid === 0) continue;
      const h = hist.get(d.domid);
      if (h) {
        h.push([now, d.cpu_pct || 0]);
        if (h.length > 600) h.shift();
      } else if (!fetching.has(d.domid)) {
        fetching.add(d.domid);
        call('GET', `/api/domains/${d.domid}/history`).then((r) => {
          hist.set(d.domid, r.samples.map((x) => [x[0], x[1]]));
        }).catch(() => hist.set(d.domid, [])).finally(() => fetching.delete(d.domid));
      }
    }
    for (const id of hist.keys())
      if (!list.some((d) => d.domid === id)) hist.delete(id);
  }

  const filter = el('input', { id: 'filter', type: 'search', placeholder: 'Filter (/)', 'aria-label': 'Filter domains by name or state' });
  const count = el('span', { class: 'muted', 'aria-live': 'polite' });
  const thead = el('tr');
  const tbody = el('tbody');
  const table = el('table', { class: 'domains', id: 'domains' }, el('thead', {}, thead), tbody);
  for (const [k, label] of COLS) {
    const th = el('th', { scope: 'col', tabindex: k === 'cpu_hist' ? null : 0, 'data-key': k }, label);
    if (k === 'cpu_hist') { thead.append(th); continue; }
    th.addEventListener('click', () => sortBy(k));
    th.addEventListener('keydown', (e) => { if (e.key === 'Enter') sortBy(k); });
    thead.append(th);
  }
  view.append(el('section', { class: 'toolbar' },
    el('h1', {}, 'Domains'), filter, count,
    admin ? el('a', { class: 'button', href: '#/create' }, 'Create domain (n)') : null,
    admin ? el('button', { id: 'restore', onclick: () => restoreDialog(call, toast).catch((e) => toast(e.message, true)) }, 'Restore…') : null),
  el('div', { class: 'table-wrap' }, table),
  el('p', { class: 'muted keys' }, 'Keys: j/k or ↑/↓ move · Enter opens · a console' +
    (admin ? ' · p pause/unpause · s shut down · r reboot · X destroy · n create' : '') + ' · / filter'));

  function sortBy(k) {
    sortDir = k === sortKey ? -sortDir : 1;
    sortKey = k;
    localStorage.setItem('xensv.sort', sortKey);
    localStorage.setItem('xensv.dir', String(sortDir));
    render();
  }

  function visible() {
    const f = filter.value.trim().toLowerCase();
    const list = domains.filter((d) => !f || d.name.toLowerCase().includes(f) || (d.status || '').includes(f));
    list.sort((a, b) => {
      const x = a[sortKey], y = b[sortKey];
      if (x === y) return a.domid - b.domid;
      if (x == null) return 1;
      if (y == null) return -1;
      return (x < y ? -1 : 1) * sortDir;
    });
    return list;
  }

  function render() {
    const list = visible();
    for (const th of thead.children) {
      th.setAttribute('aria-sort', th.dataset.key === sortKey ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
    }
    if (selected && !list.some((d) => d.name === selected)) selected = null;
    if (!selected && list.length) selected = list[0].name;
    const rows = list.map((d) => {
      const tr = el('tr', { 'data-name': d.name, 'data-status': d.status, class: d.name === selected ? 'sel' : null, 'aria-selected': d.name === selected ? 'true' : 'false' },
        el('td', {}, d.domid === 0 ? d.name : el('a', { href: '#/domain/' + encodeURIComponent(d.name) }, d.name)),
        el('td', { class: 'num' }, d.domid),
        el('td', {}, el('span', { class: 'state ' + d.status }, d.status), ' ', el('code', { class: 'muted' }, d.state)),
        el('td', { class: 'num' }, (d.cpu_pct || 0).toFixed(1)),
        el('td', { class: 'num' }, d.memory),
        el('td', { class: 'num' }, d.memory_target ?? ''),
        el('td', { class: 'num' }, d.maxmem ?? ''),
        el('td', { class: 'num', title: d.vcpus_online ? `online: ${d.vcpus_online}` : null },
          d.vcpus_online ? `${cpuCount(d.vcpus_online)}/${d.vcpus}` : d.vcpus),
        el('td', { class: 'num' }, d.domid === 0 ? '' : fmtUptime(d.uptime)),
        el('td', { class: 'num' }, d.console_port ?? ''),
        el('td', {}, d.domid === 0 ? '' : spark(d.domid)));
      tr.addEventListener('click', () => { selected = d.name; render(); });
      tr.addEventListener('dblclick', () => open(d));
      return tr;
    });
    tbody.replaceChildren(...rows);
    count.textContent = `${list.length} of ${domains.length}`;
  }

  function spark(id) {
    const c = el('canvas', { class: 'spark', width: 90, height: 22, 'aria-hidden': 'true' });
    drawSeries(c, hist.get(id), [{ i: 1, colour: CPU, max: 100 }], false);
    return c;
  }

  function open(d) {
    if (d && d.domid !== 0) location.hash = '#/domain/' + encodeURIComponent(d.name);
  }

  async function act(what, d) {
    if (!d || d.domid === 0) return;
    try {
      if (what === 'pause') {
        const op = d.status === 'paused' ? 'unpause' : 'pause';
        await call('POST', `/api/domains/${encodeURIComponent(d.name)}/${op}`, {});
        toast(`${d.name}: ${op}d`);
      } else if (what === 'shutdown' || what === 'reboot') {
        if (!confirm(`${what === 'reboot' ? 'Reboot' : 'Shut down'} ${d.name}?`)) return;
        await call('POST', `/api/domains/${encodeURIComponent(d.name)}/${what}`, {});
        toast(`${d.name}: ${what} requested`);
      } else if (what === 'destroy') {
        confirmDestroy(d.name);
      }
    } catch (e) {
      toast(`${d.name}: ${e.message}`, true);
    }
  }

  function onKey(e) {
    if (e.target === filter) {
      if (e.key === 'Escape' || e.key === 'Enter') { filter.blur(); e.preventDefault(); }
      return;
    }
    if (e.target.closest('input, textarea, select, dialog') || e.ctrlKey || e.metaKey || e.altKey) return;
    const list = visible();
    const i = list.findIndex((d) => d.name === selected);
    const d = list[i];
    let handled = true;
    switch (e.key) {
      case 'j': case 'ArrowDown': if (i < list.length - 1) selected = list[i + 1].name; render(); break;
      case 'k': case 'ArrowUp': if (i > 0) selected = list[i - 1].name; render(); break;
      case 'Enter': open(d); break;
      case '/': filter.focus(); break;
      case 'a': if (d && d.domid) location.hash = '#/console/' + encodeURIComponent(d.name); break;
      case 'b': open(d); break;
      case 'p': if (admin) act('pause', d); break;
      case 's': if (admin) act('shutdown', d); break;
      case 'r': if (admin) act('reboot', d); break;
      case 'X': if (admin) act('destroy', d); break;
      case 'n': if (admin) location.hash = '#/create'; break;
      default: handled = false;
    }
    if (handled) e.preventDefault();
  }

  filter.addEventListener('input', render);
  document.addEventListener('keydown', onKey);
  const off = onEvents((m) => {
    if (m.type === 'domains') { domains = m.domains || []; track(domains); render(); }
    if (m.type === 'event') {
      // Apply the change at once; the next list confirms it.
      const ev = m.event;
      if (ev.event === 'domain.removed') domains = domains.filter((d) => d.domid !== ev.domid);
      else if (ev.domain) {
        const k = domains.findIndex((d) => d.domid === ev.domain.domid);
        const merged = Object.assign({}, k >= 0 ? domains[k] : {}, ev.domain);
        delete merged.config;
        if (k >= 0) domains[k] = merged; else domains.push(merged);
      }
      render();
    }
  });
  return () => { off(); document.removeEventListener('keydown', onKey); };
}

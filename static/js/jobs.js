// jobs.js: saves, restores and migrations in progress, on every page.
// Fed by xend's job.progress events through /ws/events (docs/API.md).
import { onEvents, el } from './api.js';

export function fmtBytes(n) {
  if (!n) return '0 B';
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  const i = Math.min(u.length - 1, Math.floor(Math.log(n) / Math.log(1024)));
  return `${(n / 1024 ** i).toFixed(i ? 1 : 0)} ${u[i]}`;
}

function fmtEta(s) {
  if (!Number.isFinite(s) || s < 0) return '';
  s = Math.round(s);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

const verbs = { save: 'Saving', restore: 'Restoring', migrate: 'Migrating', 'migrate-in': 'Receiving' };

// One row per job: a bar (bytes of total), rate, ETA; its end or error.
export function startJobs(tray) {
  const rows = new Map();
  onEvents((m) => {
    if (m.type !== 'event' || !m.event || m.event.event !== 'job.progress') return;
    const j = m.event.job || {};
    let row = rows.get(j.id);
    if (!row) {
      const bar = el('progress', { max: 100, 'aria-label': `${j.op} ${j.dom}` });
      const label = el('span', { class: 'job-what' });
      const figs = el('span', { class: 'job-figs', 'aria-live': 'polite' });
      const close = el('button', { class: 'link', 'aria-label': 'Dismiss', onclick: () => { row.node.remove(); rows.delete(j.id); } }, '×');
      row = { bar, label, figs, node: el('div', { class: 'job', 'data-job': j.id, 'data-op': j.op }, label, bar, figs, close) };
      rows.set(j.id, row);
      tray.append(row.node);
    }
    const to = j.op === 'migrate' ? ` to ${j.file}` : j.op === 'save' ? ` to ${j.file}` : j.file ? ` from ${j.file}` : '';
    row.label.textContent = `${verbs[j.op] || j.op} ${j.dom || ''}${to}`;
    row.node.dataset.status = j.status;
    const pct = j.total > 0 ? Math.min(100, (100 * j.bytes) / j.total) : null;
    if (j.status === 'completed') {
      row.bar.value = 100;
      row.figs.textContent = `done: ${fmtBytes(j.bytes)} in ${(j.elapsed || 0).toFixed(1)} s`;
    } else if (j.status === 'failed') {
      row.figs.textContent = `failed: ${j.error || 'unknown error'}`;
    } else {
      if (pct == null) row.bar.removeAttribute('value');
      else row.bar.value = pct;
      const eta = j.total > 0 && j.rate > 0 ? fmtEta((j.total - j.bytes) / j.rate) : '';
      row.figs.textContent = `${fmtBytes(j.bytes)}${j.total ? ' of ' + fmtBytes(j.total) : ''} · ` +
        `${fmtBytes(j.rate)}/s${eta ? ' · about ' + eta + ' left' : ''}`;
    }
    tray.hidden = rows.size === 0;
  });
}

// A modal form: fields are nodes; submit(form) resolves to close, throws
// to show the error under the fields.
function formDialog(id, title, intro, fields, label, submit) {
  const err = el('p', { class: 'error', role: 'alert' });
  const go = el('button', { type: 'submit', id: `${id}-go` }, label);
  const dlg = el('dialog', { class: 'card', id, 'aria-labelledby': `${id}-title` },
    el('form', { method: 'dialog' },
      el('h2', { id: `${id}-title` }, title), intro ? el('p', {}, intro) : null,
      ...fields, err,
      el('div', { class: 'buttons' },
        el('button', { type: 'button', onclick: () => dlg.close() }, 'Cancel'), go)));
  dlg.querySelector('form').addEventListener('submit', async (e) => {
    e.preventDefault();
    go.disabled = true;
    err.textContent = '';
    try {
      await submit();
      dlg.close();
    } catch (ex) {
      err.textContent = ex.message;
    } finally { go.disabled = false; }
  });
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  const first = dlg.querySelector('input, select');
  if (first) first.focus();
  return dlg;
}

const field = (id, label, attrs = {}) => [el('label', { for: id }, label), el('input', { id, ...attrs })];

// Save: a file name in one of xensv-save-dirs (the server says which).
export async function saveDialog(call, name, toast) {
  const saves = await call('GET', '/api/saves');
  const dirs = saves.dirs || [];
  const dir = el('select', { id: 'save-dir' }, dirs.map((d) => el('option', { value: d }, d)));
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  const [fl, file] = field('save-file', 'File name', { value: `${name}-${stamp}.save`, required: true, autocomplete: 'off' });
  const check = el('input', { id: 'save-checkpoint', type: 'checkbox' });
  formDialog('save-dialog', `Save ${name}`,
    dirs.length ? 'The domain\'s memory and state go to a file; it stops unless you keep it running.' :
      'Saving is off: xend-config.sxp has no xensv-save-dirs.',
    [el('label', { for: 'save-dir' }, 'Directory (xensv-save-dirs)'), dir, fl, file,
      el('label', { class: 'check' }, check, ' Keep it running (checkpoint)')], 'Save', async () => {
      const path = `${dir.value}/${file.value}`;
      call('POST', `/api/domains/${encodeURIComponent(name)}/save`, { file: path, checkpoint: check.checked })
        .then((r) => toast(`${name} saved to ${r.file}`))
        .catch((e) => toast(`${name}: ${e.message}`, true));
    });
}

// Restore: one of the files in xensv-save-dirs.
export async function restoreDialog(call, toast) {
  const saves = await call('GET', '/api/saves');
  const files = (saves.files || []).sort((a, b) => b.mtime - a.mtime);
  const pick = el('select', { id: 'restore-file', required: true },
    files.map((f) => el('option', { value: f.file },
      `${f.file} (${fmtBytes(f.size)}, ${new Date(f.mtime * 1000).toLocaleString()})`)));
  const paused = el('input', { id: 'restore-paused', type: 'checkbox' });
  formDialog('restore-dialog', 'Restore a domain',
    files.length ? `Save files in ${(saves.dirs || []).join(', ')}:` : `No save files in ${(saves.dirs || []).join(', ') || 'xensv-save-dirs'}.`,
    [el('label', { for: 'restore-file' }, 'File'), pick,
      el('label', { class: 'check' }, paused, ' Leave it paused')], 'Restore', async () => {
      if (!pick.value) throw new Error('no file chosen');
      call('POST', '/api/restore', { file: pick.value, paused: paused.checked })
        .then((d) => toast(`${d.name} restored`))
        .catch((e) => toast(`restore: ${e.message}`, true));
    });
}

// Migrate: to another host's relocation server.
export function migrateDialog(call, name, toast) {
  const [hl, host] = field('migrate-host', 'Host', { required: true, autocomplete: 'off' });
  const [pl, port] = field('migrate-port', 'Port (empty: xend-relocation-port)', { type: 'number', min: 1, max: 65535 });
  const [rl, rate] = field('migrate-rate', 'Bandwidth (Mbit/s, 0: no limit)', { type: 'number', min: 0, value: 0 });
  const live = el('input', { id: 'migrate-live', type: 'checkbox', checked: true });
  formDialog('migrate-dialog', `Migrate ${name}`, 'The domain moves to the other host\'s xend and stops here.',
    [hl, host, pl, port, el('label', { class: 'check' }, live, ' Live (keeps running while its memory is copied)'), rl, rate],
    'Migrate', async () => {
      const body = { host: host.value, live: live.checked, bandwidth: Number(rate.value || 0) };
      if (port.value) body.port = Number(port.value);
      call('POST', `/api/domains/${encodeURIComponent(name)}/migrate`, body)
        .then((r) => toast(`${name} now runs on ${r.host}`))
        .catch((e) => toast(`${name}: ${e.message}`, true));
    });
}

// app.js: the shell (header, host figures, routing by location.hash).
import { getSession, call, onEvents } from './api.js';
import { showOverview } from './overview.js';
import { showDomain } from './domain.js';
import { showConsole } from './console.js';
import { showWizard } from './wizard.js';
import { showVnc } from './vnc.js';
import { startJobs } from './jobs.js';

const view = document.getElementById('view');
let cleanup = null;

function hostLine(h) {
  if (!h) return '';
  const used = h.total_memory - h.free_memory;
  return `${h.host} · ${h.nr_cpus} CPUs ${Math.round(h.cpu_pct || 0)}% · ` +
    `memory ${used}/${h.total_memory} MB · ${h.accel}`;
}

async function route() {
  if (cleanup) cleanup();
  cleanup = null;
  view.replaceChildren();
  const h = location.hash.replace(/^#\/?/, '');
  const [page, arg] = h.split('/').map(decodeURIComponent);
  if (page === 'domain' && arg) cleanup = await showDomain(view, arg);
  else if (page === 'console' && arg) cleanup = await showConsole(view, arg);
  else if (page === 'vnc' && arg) cleanup = await showVnc(view, arg);
  else if (page === 'create') cleanup = await showWizard(view);
  else cleanup = await showOverview(view);
}

async function main() {
  const s = await getSession();
  document.getElementById('who').textContent = `${s.user} (${s.role})`;
  document.body.dataset.role = s.role;
  if (s.role !== 'admin') document.getElementById('nav-create').hidden = true;
  document.getElementById('logout').addEventListener('click', async () => {
    await call('POST', '/api/logout', {}).catch(() => {});
    location.replace('/login.html');
  });
  const host = document.getElementById('host');
  const banner = document.getElementById('banner');
  onEvents((m) => {
    if (m.type === 'domains') host.textContent = hostLine(m.host);
    if (m.type === 'link') {
      banner.hidden = m.up;
      banner.textContent = m.up ? '' : 'Lost xensv; reconnecting…';
    }
  });
  startJobs(document.getElementById('jobs'));
  window.addEventListener('hashchange', route);
  route();
}

main();

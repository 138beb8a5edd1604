// console.js: a domain's serial console in xterm.js, over a WebSocket
// that xensv bridges to xenconsoled (history first, then live).  xterm.js
// loads only when a console opens.  Reconnects on its own (a reboot, a
// xenconsoled restart, a lost link) with a fresh one-time ticket.
import { call, el, wsURL, getSession } from './api.js';

let loaded = null;
function loadXterm() {
  if (loaded) return loaded;
  const css = el('link', { rel: 'stylesheet', href: '/node_modules/@xterm/xterm/css/xterm.css' });
  document.head.append(css);
  const script = (src) => new Promise((ok, bad) => {
    const s = el('script', { src });
    s.onload = ok;
    s.onerror = () => bad(new Error('cannot load ' + src));
    document.head.append(s);
  });
  loaded = script('/node_modules/@xterm/xterm/lib/xterm.js')
    .then(() => script('/node_modules/@xterm/addon-fit/lib/addon-fit.js'));
  return loaded;
}

export async function showConsole(view, name) {
  const s = await getSession();
  const status = el('span', { id: 'console-status', class: 'state', role: 'status' }, 'connecting');
  const box = el('div', { id: 'terminal', class: 'terminal' });
  // Who else is attached (telnet, xm console, other browsers) and who
  // holds input, as xenconsoled reports it.
  const who = el('ul', { id: 'console-clients', class: 'muted', 'aria-live': 'polite' });
  async function refreshWho() {
    try {
      const r = await call('GET', `/api/domains/${encodeURIComponent(name)}/console`);
      who.replaceChildren(...r.clients.map((c) => el('li', { 'data-input': c.input ? 'yes' : 'no' },
        `#${c.id} ${c.kind} ${c.peer} ${c.input ? '— holds input' : ''}`)));
    } catch (e) { who.replaceChildren(el('li', {}, e.message)); }
  }
  view.append(
    el('nav', { class: 'crumbs' }, el('a', { href: '#/' }, 'Domains'), ' / ',
      el('a', { href: '#/domain/' + encodeURIComponent(name) }, name), ' / console'),
    el('section', { class: 'toolbar' }, el('h1', {}, `${name} console`), status,
      s.role !== 'admin' ? el('span', { class: 'muted' }, 'read-only (viewer)') : null),
    box,
    el('p', { class: 'muted keys' }, 'Ctrl-E c u: who is attached · Ctrl-E c w: take input · Ctrl-E c ?: help'),
    el('h2', {}, 'Attached'), who);
  await loadXterm();
  const term = new window.Terminal({ convertEol: false, cursorBlink: true, fontSize: 14, scrollback: 5000 });
  const fit = new window.FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(box);
  fit.fit();
  term.focus();
  const enc = new TextEncoder();
  let ws = null, closed = false, timer = null;

  async function connect() {
    if (closed) return;
    const t0 = performance.now();
    let first = true;
    let t;
    try {
      t = await call('POST', `/api/domains/${encodeURIComponent(name)}/console`, {});
    } catch (e) {
      status.textContent = e.message;
      timer = setTimeout(connect, 2000);
      return;
    }
    term.reset();
    ws = new WebSocket(wsURL(t.url));
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (m) => {
      if (typeof m.data === 'string') {
        const j = JSON.parse(m.data);
        status.textContent = j.state + (j.detail ? ': ' + j.detail : '');
        status.className = 'state ' + (j.state === 'connected' ? 'running' : 'paused');
        return;
      }
      term.write(new Uint8Array(m.data));
      if (first) {
        first = false;
        // Opening to the first history byte on screen, for the tests.
        term.write('', () => { box.dataset.firstByteMs = Math.round(performance.now() - t0); });
      }
    };
    ws.onclose = () => {
      if (closed) return;
      status.textContent = 'disconnected; reconnecting';
      status.className = 'state paused';
      timer = setTimeout(connect, 1000);
    };
  }
  term.onData((d) => { if (ws && ws.readyState === 1) ws.send(enc.encode(d)); });
  const onResize = () => fit.fit();
  window.addEventListener('resize', onResize);
  connect();
  refreshWho();
  const whoTimer = setInterval(refreshWho, 2000);
  return () => {
    closed = true;
    clearInterval(whoTimer);
    clearTimeout(timer);
    window.removeEventListener('resize', onResize);
    if (ws) ws.close();
    term.dispose();
  };
}

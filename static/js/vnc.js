// vnc.js: a domain's graphical console (vnc = 1) in noVNC, over a
// WebSocket that xensv bridges to xenconsoled's VNC port.  noVNC (ES
// modules from npm) loads only when this page opens.  A viewer's session
// is view-only here, and xensv drops a viewer's keys and pointer anyway.
import { call, el, wsURL, getSession } from './api.js';

export async function showVnc(view, name) {
  const s = await getSession();
  const status = el('span', { id: 'vnc-status', class: 'state', role: 'status' }, 'connecting');
  const screen = el('div', { id: 'vnc-screen', class: 'vnc' });
  const pw = el('form', { class: 'inline', hidden: true },
    el('label', { for: 'vnc-pw' }, 'VNC password'), el('input', { id: 'vnc-pw', type: 'password', autocomplete: 'off' }),
    el('button', { type: 'submit' }, 'Send'));
  view.append(
    el('nav', { class: 'crumbs' }, el('a', { href: '#/' }, 'Domains'), ' / ',
      el('a', { href: '#/domain/' + encodeURIComponent(name) }, name), ' / graphical console'),
    el('section', { class: 'toolbar' }, el('h1', {}, `${name} screen`), status,
      s.role !== 'admin' ? el('span', { class: 'muted' }, 'view only (viewer)') : null),
    pw, screen);
  const { default: RFB } = await import('/node_modules/@novnc/novnc/core/rfb.js');
  let rfb = null, closed = false, timer = null;
  async function connect() {
    if (closed) return;
    let t;
    try {
      t = await call('POST', `/api/domains/${encodeURIComponent(name)}/console`, { kind: 'vnc' });
    } catch (e) {
      status.textContent = e.message;
      timer = setTimeout(connect, 2000);
      return;
    }
    rfb = new RFB(screen, wsURL(t.url), { shared: true });
    rfb.viewOnly = s.role !== 'admin';
    rfb.scaleViewport = true;
    rfb.addEventListener('connect', () => {
      status.textContent = 'connected';
      status.className = 'state running';
      screen.dataset.connected = 'yes';
    });
    rfb.addEventListener('disconnect', () => {
      screen.dataset.connected = 'no';
      if (closed) return;
      status.textContent = 'disconnected; reconnecting';
      status.className = 'state paused';
      timer = setTimeout(connect, 2000);
    });
    rfb.addEventListener('credentialsrequired', () => {
      pw.hidden = false;
      pw.querySelector('input').focus();
    });
  }
  pw.addEventListener('submit', (e) => {
    e.preventDefault();
    rfb.sendCredentials({ password: pw.querySelector('input').value });
    pw.hidden = true;
  });
  connect();
  return () => {
    closed = true;
    clearTimeout(timer);
    if (rfb) rfb.disconnect();
  };
}

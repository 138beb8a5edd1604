// api.js: xensv's REST API and event stream, for every page.
let session = null;

export async function getSession() {
  if (session) return session;
  const r = await fetch('/api/session', { credentials: 'same-origin' });
  if (r.status === 401) {
    location.replace('/login.html');
    throw new Error('not logged in');
  }
  session = await r.json();
  return session;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// call('POST', '/api/domains/x/pause', body): the reply, or ApiError.
export async function call(method, path, body) {
  const s = await getSession();
  const opts = { method, credentials: 'same-origin', headers: {} };
  if (method !== 'GET') opts.headers['X-CSRF-Token'] = s.csrf;
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  if (r.status === 401) {
    location.replace('/login.html');
    throw new ApiError(401, 'unauthenticated', 'log in first');
  }
  const j = await r.json().catch(() => null);
  if (!r.ok) {
    const e = (j && j.error) || {};
    throw new ApiError(r.status, e.code || 'failed', e.message || 'HTTP ' + r.status);
  }
  return j;
}

export function wsURL(path) {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
}

// One event socket per page; reconnects on its own.
const listeners = new Set();
let sock = null;
let last = null;
export function onEvents(fn) {
  listeners.add(fn);
  if (last) fn(last);
  if (!sock) connect();
  return () => listeners.delete(fn);
}

function connect() {
  sock = new WebSocket(wsURL('/ws/events'));
  sock.onmessage = (m) => {
    let j;
    try { j = JSON.parse(m.data); } catch { return; }
    if (j.type === 'domains') last = j;
    for (const fn of listeners) fn(j);
  };
  sock.onclose = () => {
    for (const fn of listeners) fn({ type: 'link', up: false });
    setTimeout(connect, 1000);
  };
  sock.onopen = () => {
    for (const fn of listeners) fn({ type: 'link', up: true });
  };
}

export function fmtUptime(s) {
  if (s == null) return '';
  s = Math.floor(s);
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600);
  const m = Math.floor(s % 3600 / 60), sec = s % 60;
  const hms = [h, m, sec].map((v) => String(v).padStart(2, '0')).join(':');
  return d ? d + 'd ' + hms : hms;
}

export function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) {
    if (k == null) continue;
    e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
  return e;
}

export function toast(msg, bad) {
  const t = document.getElementById('toast');
  t.textContent = msg;
  t.className = 'toast show' + (bad ? ' bad' : '');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.className = 'toast'; }, 4000);
}

// How many CPUs a list such as "0-1,3" names.
export function cpuCount(list) {
  let n = 0;
  for (const part of String(list).split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (Number.isInteger(a)) n += Number.isInteger(b) ? b - a + 1 : 1;
  }
  return n;
}

// Which of n CPUs a list such as "0-1,3" names: an array of booleans.
export function cpuSet(list, n) {
  const on = new Array(n).fill(false);
  for (const part of String(list).split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (!Number.isInteger(a)) continue;
    for (let i = a; i <= (Number.isInteger(b) ? b : a) && i < n; i++) on[i] = true;
  }
  return on;
}

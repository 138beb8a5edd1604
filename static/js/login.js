// login.js: the login form; on success the overview.
const form = document.getElementById('login');
const error = document.getElementById('error');

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  error.textContent = '';
  const body = { user: form.user.value, password: form.password.value };
  let r;
  try {
    r = await fetch('/api/login', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (e) {
    error.textContent = 'xensv does not answer: ' + e.message;
    return;
  }
  if (r.ok) {
    location.replace('/');
    return;
  }
  const j = await r.json().catch(() => ({}));
  error.textContent = (j.error && j.error.message) || ('HTTP ' + r.status);
  form.password.select();
});

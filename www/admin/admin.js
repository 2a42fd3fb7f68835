// Shared by the dashboard pages: the admin token (asked once, kept in sessionStorage) and API calls.
// With no token configured on the admin listener the API never answers 401, so no token is asked for.
(function () {
  const KEY = 'gatehouse.adminToken';
  const listeners = [];

  function token() {
    return window.sessionStorage.getItem(KEY) || '';
  }

  function headers(extra) {
    const h = Object.assign({}, extra || {});
    const t = token();
    if (t) h.authorization = 'Bearer ' + t;
    return h;
  }

  // Shows the token form; resolves once a token was entered (then callers retry).
  function askToken(message) {
    const form = document.getElementById('auth');
    const status = document.getElementById('authStatus');
    form.hidden = false;
    status.textContent = message;
    document.getElementById('token').focus();
    return new Promise((resolve) => listeners.push(resolve));
  }

  function onAuthSubmit(event) {
    event.preventDefault();
    const value = document.getElementById('token').value.trim();
    if (!value) return;
    window.sessionStorage.setItem(KEY, value);
    document.getElementById('auth').hidden = true;
    document.getElementById('token').value = '';
    while (listeners.length) listeners.shift()();
  }

  async function request(path, init) {
    for (;;) {
      const res = await fetch(path, Object.assign({}, init, { headers: headers(init && init.headers) }));
      if (res.status !== 401) return res;
      window.sessionStorage.removeItem(KEY);
      await askToken(token() ? 'That token was refused.' : 'This admin API needs its token (admin.token in the config).');
    }
  }

  async function api(path) {
    const res = await request(path, { headers: { accept: 'application/json' } });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((body.error && body.error.message) || res.status + ' ' + res.statusText);
    return body;
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const c of children || []) node.append(c);
    return node;
  }

  const numberFormat = new Intl.NumberFormat();
  function fmt(n) {
    return numberFormat.format(n);
  }

  document.addEventListener('DOMContentLoaded', () => {
    const form = document.getElementById('auth');
    if (form) form.addEventListener('submit', onAuthSubmit);
  });

  window.gatehouse = { api, request, el, fmt, token };
})();

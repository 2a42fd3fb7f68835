// Link builder: tracked redirect links (optionally signed), email pixels and short links.
// Signing keys and admin tokens live only in the form fields: never stored, never sent except
// the token, to the admin API, when a button asks for it.
(function () {
  const $ = (id) => document.getElementById(id);
  const UTM = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'];
  const REMEMBER = ['base', 'rdrPath', 'imgPath', 'shortPrefix', 'admin'];
  const STORE_KEY = 'gatehouse.links';
  const MERGE_TAG = /^(\{\{[^{}]*\}\}|\*\|[^|]*\|\*|%%[^%]*%%)$/;

  // base64url(HMAC-SHA256(key, message)) without padding, as the gateway verifies it.
  async function hmacSign(key, message) {
    const enc = new TextEncoder();
    const k = await crypto.subtle.importKey('raw', enc.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', k, enc.encode(message)));
    let bin = '';
    for (const b of mac) bin += String.fromCharCode(b);
    return window.btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function httpUrl(value) {
    try {
      const u = new URL(value);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u : null;
    } catch {
      return null;
    }
  }
  const join = (base, path) => base.replace(/\/+$/, '') + '/' + path.replace(/^\/+/, '');
  const query = (pairs) =>
    pairs
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}=${MERGE_TAG.test(v) ? v : encodeURIComponent(v)}`)
      .join('&');
  const escapeHtml = (s) =>
    s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const shellQuote = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  const val = (id) => $(id).value.trim();
  const signMode = () => document.querySelector('input[name="signMode"]:checked').value;

  function setStatus(id, text, isError) {
    $(id).textContent = text;
    $(id).classList.toggle('error', !!isError);
  }

  // Signature fetched from the admin API, valid for one destination.
  let adminSig = { url: '', sig: '' };
  let currentLink = '';
  let seq = 0;

  function baseUrl() {
    const b = httpUrl(val('base'));
    return b ? b.href.replace(/\/+$/, '') : '';
  }

  async function buildLink() {
    const mine = ++seq;
    const base = baseUrl();
    const dest = val('dest');
    const out = (link, status, isError) => {
      if (mine !== seq) return; // a newer edit took over
      currentLink = link;
      $('link').textContent = link;
      $('tryLink').hidden = !link;
      $('tryLink').href = link || '#';
      setStatus('linkStatus', status, isError);
      updateShort();
    };
    if (!base) return out('', 'Enter the public base URL of the gateway (http or https).', true);
    if (!dest) return out('', 'Enter a destination URL.');
    if (!httpUrl(dest)) return out('', 'The destination must be an absolute http(s) URL.', true);

    const pairs = [['url', dest], ...UTM.map((k) => [k, val(k)]), ['ename', val('ename')]];
    let status = 'Unsigned: the destination host must be on the gateway allow list.';
    const mode = signMode();
    if (mode === 'local') {
      const key = $('signingKey').value;
      if (!key) return out('', 'Paste the signing key, or choose another signature option.');
      if (!window.crypto?.subtle) {
        return out('', 'WebCrypto is only available on https pages or localhost; use the admin API instead.', true);
      }
      try {
        pairs.push(['sig', await hmacSign(key, dest)]);
        status = 'Signed in this page.';
      } catch (err) {
        return out('', 'Signing failed: ' + err.message, true);
      }
    } else if (mode === 'admin') {
      if (adminSig.url !== dest || !adminSig.sig) return out('', 'Press "Get signature" to sign this destination.');
      pairs.push(['sig', adminSig.sig]);
      status = 'Signed by the admin API.';
    }
    out(join(base, val('rdrPath') || '/rdr/v1/') + '?' + query(pairs), status);
  }

  function buildPixel() {
    const base = baseUrl();
    if (!base) {
      $('pixel').textContent = '';
      $('pixelTag').textContent = '';
      return;
    }
    const q = query([
      ['ename', val('px_ename')],
      ['etyp', val('px_etyp')],
      ['campaign', val('px_campaign')],
      ['uid', val('px_uid')],
    ]);
    const src = join(base, val('imgPath') || '/img/v1/') + '?' + q;
    $('pixel').textContent = src;
    $('pixelTag').textContent = `<img src="${escapeHtml(src)}" width="1" height="1" alt="" style="display:none">`;
  }

  function shortTarget() {
    return currentLink || (httpUrl(val('dest')) ? val('dest') : '');
  }

  function updateShort() {
    const admin = val('admin') || 'http://127.0.0.1:9100';
    const body = JSON.stringify({ slug: val('slug') || 'SLUG', url: shortTarget() || 'https://example.com/' });
    $('curl').textContent =
      `curl -sS -X POST -H "Authorization: Bearer $GATEHOUSE_ADMIN_TOKEN" -H 'Content-Type: application/json' \\\n` +
      `  -d ${shellQuote(body)} ${shellQuote(join(admin, '/admin/links'))}`;
  }

  async function adminPost(adminBase, token, path, payload) {
    if (!httpUrl(adminBase)) throw new Error('Enter the admin base URL, such as http://127.0.0.1:9100.');
    let res;
    try {
      res = await fetch(join(adminBase, path), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: 'Bearer ' + token } : {}) },
        body: JSON.stringify(payload),
      });
    } catch {
      throw new Error('Could not reach the admin API: it is not running there, or it does not allow this origin (CORS).');
    }
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      const e = data.error || {};
      throw new Error(`HTTP ${res.status}${e.code ? ' ' + e.code : ''}${e.message ? ': ' + e.message : ''}`);
    }
    return data;
  }

  async function fetchSignature() {
    const dest = val('dest');
    if (!httpUrl(dest)) return setStatus('linkStatus', 'Enter an absolute http(s) destination first.', true);
    setStatus('linkStatus', 'Asking the admin API…');
    try {
      const data = await adminPost(val('admin'), $('token').value, '/admin/links/sign', { url: dest });
      let sig = data.sig || data.signature || '';
      const signed = !sig && (data.link || data.url);
      if (signed) sig = new URL(signed).searchParams.get('sig') || '';
      if (!sig) throw new Error('the reply has no signature');
      adminSig = { url: dest, sig };
      buildLink();
    } catch (err) {
      setStatus('linkStatus', 'Signing failed: ' + err.message, true);
    }
  }

  async function createShort() {
    const slug = val('slug');
    const target = shortTarget();
    $('short').textContent = '';
    if (!/^[A-Za-z0-9._~-]+$/.test(slug)) {
      return setStatus('shortStatus', 'The slug may use letters, digits and . _ ~ - only.', true);
    }
    if (!target) return setStatus('shortStatus', 'Build a tracked link or enter a destination first.', true);
    setStatus('shortStatus', 'Creating…');
    try {
      await adminPost(val('admin'), $('token').value, '/admin/links', { slug, url: target });
      const base = baseUrl();
      const prefix = val('shortPrefix') || '/';
      $('short').textContent = base ? join(base, prefix) + (prefix.endsWith('/') || prefix === '' ? '' : '/') + slug : slug;
      setStatus('shortStatus', 'Created.');
    } catch (err) {
      setStatus('shortStatus', err.message, true);
    }
  }

  async function copy(button) {
    const text = $(button.dataset.copy).textContent;
    if (!text) return;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const ta = document.createElement('textarea');
      ta.value = text;
      ta.setAttribute('readonly', '');
      ta.style.position = 'fixed';
      ta.style.opacity = '0';
      document.body.appendChild(ta);
      ta.select();
      document.execCommand('copy');
      ta.remove();
    }
    const label = button.textContent;
    button.textContent = 'Copied';
    setTimeout(() => (button.textContent = label), 1200);
  }

  function remember() {
    try {
      const saved = {};
      for (const id of REMEMBER) saved[id] = val(id);
      localStorage.setItem(STORE_KEY, JSON.stringify(saved));
    } catch {
      // storage disabled: nothing to remember
    }
  }

  function restore() {
    let saved;
    try {
      saved = JSON.parse(localStorage.getItem(STORE_KEY) || '{}') || {};
    } catch {
      saved = {};
    }
    for (const id of REMEMBER) if (typeof saved[id] === 'string' && saved[id]) $(id).value = saved[id];
    if (!val('base') && /^https?:$/.test(location.protocol)) $('base').value = location.origin;
  }

  function update() {
    const mode = signMode();
    $('signLocal').hidden = mode !== 'local';
    $('signAdmin').hidden = mode !== 'admin';
    buildLink();
    buildPixel();
    updateShort();
    remember();
  }

  restore();
  document.addEventListener('input', update);
  document.addEventListener('change', update);
  document.addEventListener('submit', (ev) => ev.preventDefault());
  $('fetchSig').addEventListener('click', fetchSignature);
  $('createShort').addEventListener('click', createShort);
  for (const b of document.querySelectorAll('button[data-copy]')) b.addEventListener('click', () => copy(b));
  update();
})();

/*! Gatehouse tracking client */
((w, d, nav, loc) => {
  if (w.gatehouse) return;

  // Config: data-* attributes of the <script> tag, else window.gatehouseConfig.
  const script = d.currentScript || {};
  const opt = (name, def) => script.dataset?.[name] ?? w.gatehouseConfig?.[name] ?? def;
  const on = (v) => v === true || v === 'true' || v === '';
  const endpoint = new URL(opt('endpoint', '/tr/v1/'), script.src || loc.href).href;
  const type = new URL(endpoint).origin === loc.origin ? 'application/json' : 'text/plain';
  // No ids when cookieless or with Global Privacy Control.
  const anon = on(opt('cookieless')) || nav.globalPrivacyControl === true;
  const vidName = opt('vidCookie', 'vid');
  const sidName = opt('sidCookie', 'sid');
  const domain = opt('cookieDomain');
  const app = opt('app'), rel = opt('rel');
  let uid = opt('uid'), vid, sid;

  let queue = [], retrying = [], timer = 0, lastActive = 0, views = 0;
  let url = loc.href, last = d.referrer;

  const uuid = () => w.crypto.randomUUID?.() ||
    '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) =>
      (c ^ (w.crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
  const getCookie = (name) => {
    for (const part of d.cookie.split('; ')) {
      const eq = part.indexOf('=');
      if (part.slice(0, eq) === name) return decodeURIComponent(part.slice(eq + 1));
    }
  };
  const setCookie = (name, value, seconds) => {
    d.cookie = `${name}=${encodeURIComponent(value)}; Max-Age=${seconds}; Path=/; SameSite=Lax` +
      (domain ? '; Domain=' + domain : '') + (loc.protocol === 'https:' ? '; Secure' : '');
  };

  // The variants the gateway assigned (cookie "checkout:b|pricing:control"), already applied to the HTML served.
  const variant = (name) => {
    for (const pair of (getCookie(opt('experimentsCookie', 'gh_exp')) || '').split('|')) {
      const i = pair.indexOf(':');
      if (i > 0 && pair.slice(0, i) === name) return pair.slice(i + 1);
    }
  };

  const event = (ename, fields) => {
    const now = Date.now();
    const e = {
      eid: uuid(), vid, sid, uid, ename, url, last: last || null, app, rel,
      created: new Date(now).toISOString(),
      duration: lastActive ? now - lastActive : Math.round(w.performance.now()),
      tz: Intl.DateTimeFormat().resolvedOptions().timeZone,
      w: w.innerWidth, h: w.innerHeight,
      ...fields,
      params: fields.params && { ...fields.params },
    };
    if (anon) e.vid = e.sid = e.uid = null;
    for (const k in e) if (e[k] == null) delete e[k];
    for (const k in e.params) e.params[k] = String(e.params[k]);
    return e;
  };

  const track = (ename, fields = {}) => {
    if (!anon) {
      // Ids from the server's cookies, else made here.
      const newVisitor = !(vid = getCookie(vidName));
      const newSession = !(sid = getCookie(sidName));
      if (newVisitor) setCookie(vidName, (vid = uuid()), 31536000);
      if (newSession) sid = uuid();
      setCookie(sidName, sid, 1800); // sliding
      if (newVisitor) queue.push(event('visited', { etyp: 'cookie' }));
      if (newSession) queue.push(event('visited', { etyp: 'session' }));
    }
    queue.push(event(String(ename), fields));
    lastActive = Date.now();
    queue = queue.slice(-200);
    if (queue.length >= 20) flush();
    else timer ||= setTimeout(flush, 1000);
  };

  // Retry 5xx, 429 and network errors with backoff; same eids.
  const post = (batch, attempt) => {
    const body = JSON.stringify(batch);
    return fetch(endpoint, { method: 'POST', body, keepalive: body.length < 6e4, headers: { 'Content-Type': type } })
      .then((res) => {
        if (res.status > 499 || res.status === 429) throw res;
        return res.json().catch(() => ({})).then((reply) => {
          w.dispatchEvent(new w.CustomEvent('gatehouse:reply', { detail: { status: res.status, reply, events: batch } }));
          return reply;
        });
      })
      .catch((err) => {
        if (attempt > 3) return;
        const after = parseInt(err?.headers?.get('Retry-After'), 10);
        retrying.push(batch);
        return new Promise((resolve) => setTimeout(() => {
          const i = retrying.indexOf(batch);
          if (i < 0) return resolve(); // sent by beacon()
          retrying.splice(i, 1);
          resolve(post(batch, attempt + 1));
        }, Math.min(after > 0 ? after * 1e3 : 1e3 * 2 ** attempt * (1 + Math.random()), 6e4)));
      });
  };

  const flush = () => {
    clearTimeout(timer);
    timer = 0;
    const batch = queue;
    queue = [];
    return batch.length ? post(batch, 0) : Promise.resolve();
  };

  // Page hidden or leaving: hand the rest to sendBeacon.
  const beacon = () => {
    clearTimeout(timer);
    timer = 0;
    const batches = retrying.concat(queue.length ? [queue] : []);
    retrying = [];
    queue = [];
    for (const b of batches) if (!nav.sendBeacon?.(endpoint, JSON.stringify(b))) post(b, 4);
  };

  const view = () => track(views++ ? 'reroute' : 'load', { etyp: 'page' });
  // SPA navigation
  const route = () => {
    if (loc.href === url) return;
    last = url;
    url = loc.href;
    view();
  };

  w.gatehouse = {
    track,
    identify(id) {
      uid = id == null ? undefined : String(id);
      if (uid && !anon) track('identify', { etyp: 'user' });
    },
    page: () => (loc.href === url ? view() : route()),
    flush,
    variant,
  };

  d.addEventListener('visibilitychange', () => {
    if (d.visibilityState === 'hidden') beacon();
  });
  w.addEventListener('pagehide', beacon);

  if (on(opt('auto', true))) {
    for (const m of ['pushState', 'replaceState']) {
      const orig = history[m];
      history[m] = function (...args) {
        const r = orig.apply(this, args);
        route();
        return r;
      };
    }
    w.addEventListener('popstate', route);
    d.addEventListener('click', (ev) => {
      const el = ev.target?.closest?.('[data-track]');
      if (!el) return;
      const params = {};
      for (const a of el.attributes) if (a.name.startsWith('data-track-')) params[a.name.slice(11)] = a.value;
      track(el.dataset.track || 'click', { etyp: 'click', params: Object.keys(params).length ? params : undefined });
    }, true);
    view();
  }
})(window, document, navigator, location);

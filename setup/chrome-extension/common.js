// Shared by the popup and the options page: settings and link building.
// Settings sync with the browser profile (chrome.storage.sync), except the optional signing key,
// which stays on this machine (chrome.storage.local).
export const DEFAULTS = {
  base: '',
  rdrPath: '/rdr/v1/',
  utm_source: '',
  utm_medium: '',
  utm_campaign: '',
  utm_term: '',
  utm_content: '',
  ename: '',
  autoCopy: true,
};
export const UTM = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'];

export async function loadSettings() {
  const sync = await chrome.storage.sync.get(DEFAULTS);
  const local = await chrome.storage.local.get({ signingKey: '' });
  return { ...DEFAULTS, ...sync, signingKey: local.signingKey };
}

export function httpUrl(value) {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : null;
  } catch {
    return null;
  }
}

// base64url(HMAC-SHA256(key, destination)) without padding, as the gateway verifies it.
async function sign(key, message) {
  const enc = new TextEncoder();
  const k = await crypto.subtle.importKey('raw', enc.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', k, enc.encode(message)));
  let bin = '';
  for (const b of mac) bin += String.fromCharCode(b);
  return window.btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// {base}{rdrPath}?url=<destination>&utm_*=...&ename=...[&sig=...]
export async function buildLink(settings, destination, fields) {
  const base = httpUrl(settings.base);
  if (!base) throw new Error('Set the gateway base URL in the options.');
  const pairs = [['url', destination], ...UTM.map((k) => [k, fields[k] || '']), ['ename', fields.ename || '']];
  if (settings.signingKey) pairs.push(['sig', await sign(settings.signingKey, destination)]);
  const path = (settings.rdrPath || '/rdr/v1/').replace(/^\/*/, '/');
  return (
    base.href.replace(/\/+$/, '') +
    path +
    '?' +
    pairs
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
      .join('&')
  );
}

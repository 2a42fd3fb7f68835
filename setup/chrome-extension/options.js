// Options: gateway URL and default fields (chrome.storage.sync), signing key (chrome.storage.local only).
import { DEFAULTS, loadSettings, httpUrl } from './common.js';

const $ = (id) => document.getElementById(id);
const TEXT = Object.keys(DEFAULTS).filter((k) => typeof DEFAULTS[k] === 'string');

function status(text, isError) {
  $('status').textContent = text;
  $('status').classList.toggle('error', !!isError);
}

async function init() {
  const s = await loadSettings();
  for (const k of TEXT) $(k).value = s[k];
  $('autoCopy').checked = !!s.autoCopy;
  $('signingKey').value = s.signingKey;
}

$('form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const values = Object.fromEntries(TEXT.map((k) => [k, $(k).value.trim()]));
  if (!httpUrl(values.base)) return status('The base URL must be an absolute http(s) URL.', true);
  values.rdrPath = values.rdrPath || DEFAULTS.rdrPath;
  values.autoCopy = $('autoCopy').checked;
  try {
    await chrome.storage.sync.set(values);
    const key = $('signingKey').value;
    if (key) await chrome.storage.local.set({ signingKey: key });
    else await chrome.storage.local.remove('signingKey');
    status('Saved.');
  } catch (err) {
    status('Could not save: ' + err.message, true);
  }
});
$('form').addEventListener('input', () => status(''));
init().catch((err) => status(err.message, true));

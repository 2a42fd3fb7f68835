// Popup: builds the tracked link for the active tab from the saved defaults, and copies it.
import { UTM, loadSettings, httpUrl, buildLink } from './common.js';

const $ = (id) => document.getElementById(id);
const FIELDS = [...UTM, 'ename'];
let settings;
let destination = '';

function status(text, isError) {
  $('status').textContent = text;
  $('status').classList.toggle('error', !!isError);
}

async function refresh() {
  $('link').value = '';
  if (!destination) return false;
  const fields = Object.fromEntries(FIELDS.map((k) => [k, $(k).value.trim()]));
  try {
    $('link').value = await buildLink(settings, destination, fields);
    status(settings.signingKey ? 'Signed.' : '');
    return true;
  } catch (err) {
    status(err.message, true);
    return false;
  }
}

async function copy() {
  if (!$('link').value) return;
  try {
    await navigator.clipboard.writeText($('link').value);
    status('Copied to the clipboard.');
  } catch {
    $('link').select();
    status(document.execCommand('copy') ? 'Copied to the clipboard.' : 'Select the link and copy it.', false);
  }
}

async function init() {
  settings = await loadSettings();
  for (const k of FIELDS) $(k).value = settings[k] || '';
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  const url = tab?.url || '';
  if (httpUrl(url)) {
    destination = url;
    $('dest').textContent = url;
  } else {
    $('dest').textContent = url ? 'This tab is not an http(s) page.' : 'No page URL is available for this tab.';
    $('copy').disabled = true;
  }
  if (!httpUrl(settings.base)) {
    status('Set the gateway base URL in the options first.', true);
    $('copy').disabled = true;
    return;
  }
  if ((await refresh()) && settings.autoCopy) await copy();
}

$('form').addEventListener('input', refresh);
$('form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (await refresh()) await copy();
});
$('options').addEventListener('click', () => chrome.runtime.openOptionsPage());
init().catch((err) => status(err.message, true));

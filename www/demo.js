// Demo page behaviour: in-page navigation with history.pushState and a view of the server's replies.
(function () {
  const $ = (id) => document.getElementById(id);
  const script = document.querySelector('script[src$="track.js"]');
  const vidName = script?.dataset.vidCookie || 'vid';
  const sidName = script?.dataset.sidCookie || 'sid';

  function cookie(name) {
    for (const part of document.cookie.split('; ')) {
      const eq = part.indexOf('=');
      if (part.slice(0, eq) === name) return decodeURIComponent(part.slice(eq + 1));
    }
    return '';
  }

  function showIds() {
    if (navigator.globalPrivacyControl === true) {
      $('ids').textContent = 'none (Global Privacy Control is on)';
      return;
    }
    const vid = cookie(vidName);
    const sid = cookie(sidName);
    $('ids').textContent = vid ? `visitor ${vid}, session ${sid || '(new)'}` : 'none yet';
  }

  function render() {
    const view = new URLSearchParams(location.search).get('view') === 'about' ? 'about' : 'home';
    $('view-home').hidden = view !== 'home';
    $('view-about').hidden = view !== 'about';
    const spa = $('spa-link');
    const next = view === 'about' ? 'home' : 'about';
    spa.href = `/?view=${next}`;
    spa.textContent = view === 'about' ? 'Back to home (in-page)' : 'In-page navigation';
  }

  document.addEventListener('click', (ev) => {
    const a = ev.target.closest && ev.target.closest('a[data-spa]');
    if (!a || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    if (a.href !== location.href) history.pushState(null, '', a.href);
    render();
  });
  window.addEventListener('popstate', render);

  window.addEventListener('gatehouse:reply', (ev) => {
    const { status, reply, events } = ev.detail;
    const lines = [`HTTP ${status}`, JSON.stringify(reply, null, 2), '', 'events in this batch:'];
    for (const e of events) {
      lines.push(`  ${e.ename}${e.etyp ? '/' + e.etyp : ''}  eid ${e.eid}` + (e.params ? '  ' + JSON.stringify(e.params) : ''));
    }
    $('reply').textContent = lines.join('\n');
    showIds();
  });

  $('flush').addEventListener('click', () => {
    if (window.gatehouse) window.gatehouse.flush();
  });

  if (!window.gatehouse) $('reply').textContent = 'The tracking script did not load (blocked by an extension?).';
  render();
  showIds();
})();

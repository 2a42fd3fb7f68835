// Live tail: GET /admin/events/live read with fetch (EventSource cannot send the bearer token), newest on top.
(function () {
  const { request, el } = window.gatehouse;
  const $ = (id) => document.getElementById(id);
  const KEEP = 300; // rows kept on the page
  const FIELDS = ['ename', 'etyp', 'vid', 'uid', 'url'];
  let controller;
  let paused = false;

  function status(text, bad) {
    $('status').textContent = text;
    $('status').classList.toggle('bad', Boolean(bad));
  }

  function show(event) {
    if (paused) return;
    const time = (event.received || '').slice(11, 23);
    const summary = el('summary', {}, [
      el('span', { class: 't', text: time }),
      el('span', { class: 'e', text: event.ename || '(no ename)' }),
      el('span', { class: 'muted', text: event.origin + (event.bot ? ' · bot' : '') }),
      el('span', { class: 'u', text: event.url || '' }),
      el('span', { class: 'muted', text: event.vid ? 'vid ' + event.vid : '' }),
    ]);
    const item = el('li', { 'data-eid': event.eid }, [el('details', {}, [summary, el('pre', { text: JSON.stringify(event, null, 2) })])]);
    const list = $('events');
    list.prepend(item);
    while (list.children.length > KEEP) list.lastElementChild.remove();
  }

  function handle(block) {
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('data: ')) data.push(line.slice(6));
      else if (line.startsWith(': dropped') || line.startsWith(': the gateway')) status('Stream ended: ' + line.slice(2), true);
    }
    if (data.length) show(JSON.parse(data.join('\n')));
  }

  async function connect() {
    if (controller) controller.abort();
    controller = new window.AbortController();
    const q = new URLSearchParams();
    for (const f of FIELDS) {
      const v = $('f-' + f).value.trim();
      if (v) q.set(f, v);
    }
    status('Connecting…');
    try {
      const res = await request('/admin/events/live?' + q, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
      if (!res.ok || !res.body) throw new Error(res.status + ' ' + res.statusText);
      status('Connected: new events appear on top' + (q.toString() ? ' (filtered)' : ''));
      const reader = res.body.pipeThrough(new window.TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          handle(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
      if (!$('status').classList.contains('bad')) status('Disconnected; reconnecting…', true);
    } catch (err) {
      if (err.name === 'AbortError') return;
      status('Disconnected (' + err.message + '); reconnecting…', true);
    }
    setTimeout(connect, 3000);
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('filters').addEventListener('submit', (e) => {
      e.preventDefault();
      connect();
    });
    $('pause').addEventListener('click', () => {
      paused = !paused;
      $('pause').setAttribute('aria-pressed', String(paused));
      $('pause').textContent = paused ? 'Resume' : 'Pause';
    });
    $('clear').addEventListener('click', () => $('events').replaceChildren());
    connect();
  });
})();

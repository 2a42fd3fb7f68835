// Overview: GET /admin/stats rendered as cards, one inline SVG chart and tables. No chart library.
(function () {
  const { api, el, fmt } = window.gatehouse;
  const SVG = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    return node;
  }

  function label(t, bucket) {
    const d = new Date(t);
    return bucket === 'hour' ? d.toISOString().slice(5, 13).replace('T', ' ') + ':00' : d.toISOString().slice(0, 10);
  }

  // Bars for events, a line for visitors; the SVG stretches to its box, labels stay in HTML so they stay legible.
  function chart(series, bucket) {
    const W = 1000;
    const H = 100;
    const max = Math.max(1, ...series.map((p) => p.events));
    const step = W / Math.max(1, series.length);
    const root = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'events and visitors over time' });
    const points = [];
    series.forEach((p, i) => {
      const h = (p.events / max) * H;
      const bar = svg('rect', { class: 'ev', x: i * step + step * 0.1, y: H - h, width: step * 0.8, height: h });
      bar.append(svg('title', {}));
      bar.firstChild.textContent = `${label(p.t, bucket)}: ${fmt(p.events)} events, ${fmt(p.visitors)} visitors`;
      root.append(bar);
      points.push(`${(i + 0.5) * step},${H - (p.visitors / max) * H}`);
    });
    if (points.length) root.append(svg('polyline', { class: 'vi', points: points.join(' '), 'vector-effect': 'non-scaling-stroke' }));
    const first = series[0];
    const last = series[series.length - 1];
    const axis = el('div', { class: 'row muted' }, [
      el('span', { text: first ? label(first.t, bucket) : '' }),
      el('span', { text: `peak ${fmt(max)} per ${bucket}` }),
      el('span', { text: last ? label(last.t, bucket) : '' }),
    ]);
    axis.classList.add('axis');
    return [root, axis];
  }

  function card(title, value, note) {
    return el('div', { class: 'card' }, [el('div', { class: 'muted', text: title }), el('div', { class: 'n', text: value }), el('div', { class: 'muted', text: note || '' })]);
  }

  // A table of rows [key, number, extra?], each with a bar under the key scaled to the first row.
  function table(title, head, rows) {
    const max = Math.max(1, ...rows.map((r) => r[1]));
    const body = rows.length
      ? rows.map((r) => {
          const bar = el('span', { class: 'bar' });
          bar.style.width = `${Math.max(1, (r[1] / max) * 100)}%`;
          return el('tr', {}, [el('td', { class: 'key' }, [r[0], bar]), el('td', { class: 'num', text: fmt(r[1]) }), el('td', { class: 'num', text: r[2] === undefined ? '' : fmt(r[2]) })]);
        })
      : [el('tr', {}, [el('td', { class: 'muted', colspan: '3', text: 'nothing yet' })])];
    const thead = el('tr', {}, head.map((h, i) => el('th', { class: i ? 'num' : '', text: h })));
    return el('section', { class: 'card' }, [el('h2', { text: title }), el('table', {}, [el('thead', {}, [thead]), el('tbody', {}, body)])]);
  }

  const ranked = (list) => (list || []).map((r) => [r.key, r.events, r.visitors]);

  function render(s) {
    const t = s.totals;
    $('totals').replaceChildren(
      card('Events', fmt(t.events), 'bots left out'),
      card('Visitors', fmt(t.visitors), 'distinct vid'),
      card('Sessions', fmt(t.sessions)),
      card('Bot events', fmt(s.bots.filtered), 'filtered out'),
      card('Email opens', fmt(s.emailOpens.human), `${fmt(s.emailOpens.machine)} by machines`),
    );
    $('bucket').textContent = `per ${s.range.bucket}, ${label(s.range.since, 'hour')} → ${label(s.range.until, 'hour')} UTC`;
    $('chart').replaceChildren(...chart(s.series, s.range.bucket));
    const vis = ['', 'Events', 'Visitors'];
    $('tables').replaceChildren(
      table('Top pages', ['Page', ...vis.slice(1)], ranked(s.pages)),
      table('Referrers', ['Host', ...vis.slice(1)], ranked(s.referrers)),
      table('Channels', ['Channel', ...vis.slice(1)], ranked(s.channels)),
      table('Campaigns', ['Campaign (source / medium)', ...vis.slice(1)], (s.campaigns || []).map((c) => [`${c.key} (${c.source || '-'} / ${c.medium || '-'})`, c.events, c.visitors])),
      table('Countries', ['Country', ...vis.slice(1)], ranked(s.countries)),
      table('Browsers', ['Browser', ...vis.slice(1)], ranked(s.browsers)),
      table('Operating systems', ['OS', ...vis.slice(1)], ranked(s.os)),
      table('Devices', ['Device', ...vis.slice(1)], ranked(s.devices)),
      table('Short links', ['Slug', 'Clicks', 'Bots'], (s.linkClicks || []).map((l) => [l.slug, l.clicks, l.bots])),
      table('Bots by kind', ['Kind', 'Events', 'Visitors'], ranked(s.bots.byKind)),
      table('Rejected events (since start)', ['Reason (route)', 'Events', ''], (s.rejected || []).map((r) => [`${r.reason} (${r.route})`, r.count])),
    );
  }

  async function load(since) {
    for (const b of document.querySelectorAll('#ranges button')) b.setAttribute('aria-pressed', String(b.dataset.since === since));
    $('status').textContent = 'Loading…';
    try {
      render(await api(`/admin/stats?since=${encodeURIComponent(since)}`));
      $('status').textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      $('status').textContent = err.message;
      $('status').classList.add('bad');
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    let since = new URLSearchParams(location.search).get('since') || '7d';
    for (const b of document.querySelectorAll('#ranges button')) {
      b.addEventListener('click', () => {
        since = b.dataset.since;
        history.replaceState(null, '', `?since=${since}`);
        load(since);
      });
    }
    load(since);
  });
})();

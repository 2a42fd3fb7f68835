// Experiments: GET /admin/experiments, one card per experiment, a table per goal. Method and flags as the API states them.
(function () {
  const { api, el, fmt } = window.gatehouse;
  const $ = (id) => document.getElementById(id);
  const pct = (v) => `${(v * 100).toFixed(2)}%`;

  function goalTable(exp, goal) {
    const head = ['Variant', 'Units', 'Conversions', 'Rate (95% CI)', 'Lift', 'p'];
    const rows = exp.variants.map((v) => {
      const g = v.goals[goal];
      const cells = [
        `${v.name}${v.control ? ' (control)' : ''}`,
        fmt(v.units),
        fmt(g.conversions),
        `${pct(g.rate)} [${pct(g.interval.low)}, ${pct(g.interval.high)}]`,
        g.lift === null ? '' : `${g.lift >= 0 ? '+' : ''}${pct(g.lift)}`,
        g.p === null ? '' : g.p < 0.0001 ? '<0.0001' : g.p.toFixed(4),
      ];
      return el('tr', { 'data-variant': v.name }, cells.map((c, i) => el('td', { class: i ? 'num' : 'key', text: c })));
    });
    const thead = el('tr', {}, head.map((h, i) => el('th', { class: i ? 'num' : '', text: h })));
    return el('section', {}, [el('h3', { text: `Goal: ${goal}` }), el('table', { 'data-goal': goal }, [el('thead', {}, [thead]), el('tbody', {}, rows)])]);
  }

  function card(exp) {
    const goals = Object.keys((exp.variants[0] && exp.variants[0].goals) || {});
    const srm = exp.sampleRatio;
    const srmText = !srm
      ? 'Sample ratio: no units yet.'
      : `Sample ratio: chi² ${srm.chi2.toFixed(2)}, p ${srm.p.toFixed(4)}: ${srm.mismatch ? 'MISMATCH, the split is broken: do not trust these results' : 'ok'}`;
    const units = exp.variants.map((v) => `${v.name} ${v.weight}%: ${fmt(v.units)}`).join(' · ');
    const x = exp.excluded;
    return el('section', { class: 'card', 'data-experiment': exp.name }, [
      el('h2', { text: `${exp.name} (${exp.enabled ? 'on' : 'off'}, unit ${exp.unit})` }),
      el('p', { text: units }),
      el('p', { class: srm && srm.mismatch ? 'bad srm' : 'muted srm', text: srmText }),
      ...(goals.length ? goals.map((g) => goalTable(exp, g)) : [el('p', { class: 'muted', text: 'No goals configured.' })]),
      el('p', { class: 'muted', text: `Left out: ${fmt(x.override)} QA overrides, ${fmt(x.moved)} units seen in two variants, ${fmt(x.bots)} bots.` }),
      el('p', { class: 'muted', text: `Method: ${exp.method}.` }),
    ]);
  }

  document.addEventListener('DOMContentLoaded', async () => {
    try {
      const { experiments } = await api('/admin/experiments');
      $('experiments').replaceChildren(...experiments.map(card));
      $('status').textContent = experiments.length ? `Updated ${new Date().toLocaleTimeString()}` : 'No experiments configured (experiments.list).';
    } catch (err) {
      $('status').textContent = err.message;
      $('status').classList.add('bad');
    }
  });
})();

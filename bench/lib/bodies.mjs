/** The JSON event of the POST scenarios: about 500 bytes, as track.js sends a page view. */
export function eventBody() {
  return JSON.stringify({
    ename: 'load/page',
    etyp: 'page',
    vid: '0190b7c4-8f3a-7c2e-9d4f-3a1b2c3d4e5f',
    sid: '0190b7c4-9a1b-7d3e-8e5f-4b2c3d4e5f60',
    url: 'https://www.example.com/products/item-42?utm_source=newsletter&utm_medium=email&utm_campaign=november',
    ref: 'https://www.google.com/',
    app: 'shop',
    rel: '2.4.1',
    w: 1440,
    h: 900,
    tz: 'Europe/London',
    created: '2026-11-24T10:00:00.000Z',
    params: { plan: 'pro', experiment: 'checkout-b', position: '3', section: 'recommended', list: 'home' },
  });
}

/**
 * What track.js sends for a new visitor's first page view, in one POST: `visited` (cookie), `visited` (session) and
 * the page load. No `eid`: the gateway makes one per event, so JetStream's duplicate window sees distinct ids, as it
 * would from real clients.
 */
export function pageViewBatch() {
  const page = JSON.parse(eventBody());
  const visited = (etyp) => ({ ...page, ename: 'visited', etyp, params: undefined });
  return JSON.stringify([visited('cookie'), visited('session'), page]);
}

/** Reports of `GET /admin/stats`. `rejected` comes from this process's counters, the others from a store. */
export const REPORTS = [
  'totals', 'series', 'pages', 'referrers', 'channels', 'campaigns', 'countries', 'browsers', 'os', 'devices',
  'emailOpens', 'linkClicks', 'bots', 'rejected',
] as const;
export type Report = (typeof REPORTS)[number];
export type StoreReport = Exclude<Report, 'rejected'>;

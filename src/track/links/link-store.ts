/** A short link: `GET /<slug>` on `host` (any host when absent) redirects to `url`. */
export interface ShortLink {
  slug: string;
  url: string;
  host?: string;
  created: string; // ISO 8601
  updated: string;
}

/** Where short links live (DuckDB in embedded mode, Cassandra in cluster mode). */
export interface LinkStore {
  get(slug: string): Promise<ShortLink | undefined>;
  put(link: ShortLink): Promise<void>;
  list(): Promise<ShortLink[]>;
  /** Returns false when there was no such link. */
  delete(slug: string): Promise<boolean>;
}

/** One backend of a route and what the pool knows about it. */
export interface Upstream {
  readonly origin: string;
  readonly weight: number;
  /** The value of the sticky cookie that names it (a hash: the address is not revealed to clients). */
  readonly id: string;
  /** Requests sent to it that have not finished yet. */
  inFlight: number;
  /** Left out after a failed connection until this time (passive check). */
  downUntil: number;
  /** The active health check's verdict; true until a check says otherwise. */
  healthy: boolean;
  /** Smooth weighted round-robin state (nginx's algorithm). */
  current: number;
}

/** What a pick may depend on, read lazily (most policies need neither). */
export interface PickContext {
  readonly clientIp?: () => string;
  readonly sticky?: string | undefined;
  /** Upstreams already tried for this request. */
  readonly exclude?: ReadonlySet<string> | undefined;
}


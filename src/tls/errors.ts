/** Why a TLS operation failed. Callers switch on `code`; `cause` keeps the underlying error. */
export type TlsErrorCode =
  | 'TLS_STATIC_CERT_INVALID' // a configured certificate or key file is missing, unparsable or mismatched
  | 'TLS_NAME_NOT_CONFIGURED' // an ACME operation for a name outside acme.domains (never ordered)
  | 'TLS_ACME_DISABLED' // an ACME operation while acme.enabled is false
  | 'TLS_ACME_ORDER_FAILED' // the CA refused or the order did not complete (challenge, finalize, download)
  | 'TLS_STORAGE_FAILED' // the account key or a certificate could not be read or written
  | 'TLS_UNKNOWN_NAME' // a handshake asked (SNI) for a name without a certificate and there is no defaultName
  | 'TLS_ON_DEMAND_REFUSED' // an on-demand name the ask URL did not allow (or a name that is not a valid host name)
  | 'TLS_ON_DEMAND_RATE_LIMITED' // an on-demand name not ordered because acme.onDemand.maxOrders were started in the window
  | 'TLS_ON_DEMAND_TIMEOUT' // a handshake that waited acme.onDemand.handshakeWait for an order still running
  | 'TLS_CLOSED'; // the manager was closed

export class TlsError extends Error {
  override readonly name = 'TlsError';
  constructor(
    readonly code: TlsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

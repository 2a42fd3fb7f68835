import type { TrackEvent } from '../track/event.js';
import type { RoutingRule } from './config.js';

export type DestinationKind = 'posthog' | 'mixpanel' | 'amplitude' | 'webhook';

/** One HTTP request a destination wants sent. */
export interface OutgoingRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** What a vendor's answer means for the batch. */
export type SendResult =
  | { readonly kind: 'sent' }
  /** Nothing was taken; try the whole batch again later (at least `retryAfterMs` when the vendor said so). */
  | { readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs?: number }
  /** The body is over the vendor's size limit: send it in halves. */
  | { readonly kind: 'split'; readonly reason: string }
  /**
   * Refused for good (a 4xx that will never succeed). `failed` names the refused items when the vendor says
   * which; `othersTaken` says whether the rest were ingested (Mixpanel) or must be sent again (Amplitude).
   */
  | {
      readonly kind: 'rejected';
      readonly reason: string;
      readonly failed?: readonly number[];
      readonly othersTaken?: boolean;
    };

/** Delivery settings every destination has (decoded from its config). */
export interface DeliverySettings {
  readonly batchSize: number;
  readonly batchWait: number;
  readonly timeout: number;
  readonly retryMin: number;
  readonly retryMax: number;
  readonly maxAttempts: number;
  readonly match: readonly RoutingRule[];
}

/** A vendor adapter: builds requests and reads answers. The delivery loop around it is shared. */
export interface Destination {
  readonly name: string;
  readonly kind: DestinationKind;
  readonly settings: DeliverySettings;
  /** Largest request body the vendor accepts, in bytes. */
  readonly maxBodyBytes: number;
  request(events: readonly TrackEvent[]): OutgoingRequest;
  interpret(status: number, body: string, headers: Headers): SendResult;
}

export class DestinationConfigError extends Error {
  readonly code = 'DESTINATION_CONFIG';
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options);
    this.name = 'DestinationConfigError';
  }
}

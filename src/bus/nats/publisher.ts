import type { JetStreamClient } from '@nats-io/jetstream';
import { BusUnavailableError, type BusMessage } from '../bus.js';

/**
 * Publishes every message at once (pipelined) and waits for all PubAcks. `msgID` is the message id, so a
 * message republished within the stream's duplicate window (after a crash or a timed-out ack) is stored once.
 */
export async function publishAll(
  js: JetStreamClient,
  target: { readonly stream: string; readonly subject: string; readonly timeoutMs: number },
  messages: readonly BusMessage[],
): Promise<void> {
  const results = await Promise.allSettled(
    messages.map(async (m) => {
      const ack = await js.publish(target.subject, m.data, { msgID: m.id, timeout: target.timeoutMs });
      // Another stream capturing the subject would store events where no consumer of ours reads them.
      if (ack.stream !== target.stream) {
        throw new Error(`subject ${target.subject} is stored by stream ${ack.stream}, not ${target.stream}`);
      }
    }),
  );
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length === 0) return;
  const first: unknown = failed[0]?.reason;
  const why = first instanceof Error ? first.message : String(first);
  throw new PublishError(failed.length, `${failed.length} of ${messages.length} messages not acknowledged by JetStream: ${why}`, {
    cause: first,
  });
}

/** Some PubAcks did not arrive; `failed` says how many (for the publishFailed count). */
export class PublishError extends BusUnavailableError {
  constructor(
    readonly failed: number,
    message: string,
    options: { cause?: unknown },
  ) {
    super(message, options);
  }
}

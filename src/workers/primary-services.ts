import type { Bus } from '../bus/bus.js';
import type { Consumer } from '../consumer/consumer.js';
import type { LeaseLedger } from '../ratelimit/index.js';
import { up, type Health } from '../lifecycle/health.js';
import { decodeEvent } from '../track/codec.js';
import type { LinkResolver } from '../track/links/link-resolver.js';
import type { AcceptedListener, EventPipeline } from '../track/pipeline.js';
import { unpack, type LinkCall, type WorkerCall } from './messages.js';

export interface PrimaryServicesDeps {
  /** The embedded bus (absent with NATS: workers publish to NATS themselves). */
  readonly bus?: Bus;
  readonly consumer?: Consumer;
  /** The primary's resolver; its `invalidate` also reaches the workers (see `announcingResolver`). */
  readonly links?: LinkResolver;
  /** Rate-limit counts shared by the workers (memory store), leased to them. */
  readonly leases?: LeaseLedger;
}

export interface PrimaryServices {
  /** Answers one worker call (from the worker of `slot`). */
  handle(call: WorkerCall, slot: number): Promise<unknown>;
  /** What the admin listener's live tail subscribes to: the events workers forward, as they pass through. */
  readonly live: EventPipeline;
}

/** The primary's side of the worker calls: the bus, the link store, the health of the store, rate-limit leases. */
export function primaryServices(deps: PrimaryServicesDeps): PrimaryServices {
  const listeners = new Set<AcceptedListener>();

  async function publish(call: Extract<WorkerCall, { gh: 'publish' }>): Promise<void> {
    if (!deps.bus) throw new Error('this primary has no bus: workers publish to NATS');
    const messages = unpack(call.batch);
    // Resolves once the consumer acked every message (stored): only then may the worker's spool move on.
    await deps.bus.publish(messages);
    // Decoded only while someone watches the live tail.
    if (listeners.size > 0) {
      const events = messages.flatMap((m) => {
        try {
          return [decodeEvent(m.data)];
        } catch {
          return [];
        }
      });
      for (const l of listeners) l(events);
    }
  }

  async function link(call: LinkCall): Promise<unknown> {
    if (!deps.links) throw new Error('short links need a link store (DuckDB or Cassandra)');
    const store = deps.links.store;
    switch (call.op) {
      case 'get':
        return store.get(call.slug);
      case 'list':
        return store.list();
      case 'put':
        await store.put(call.link);
        changed(call.link.slug);
        return undefined;
      case 'delete': {
        const removed = await store.delete(call.slug);
        changed(call.slug);
        return removed;
      }
    }
  }

  function changed(slug: string): void {
    deps.links?.invalidate(slug);
  }

  return {
    async handle(call, slot) {
      switch (call.gh) {
        case 'lease':
          if (!deps.leases) throw new Error('rate limits are not shared through this primary');
          return deps.leases.lease(slot, call.request);
        case 'publish':
          return publish(call);
        case 'link':
          return link(call.call);
        case 'health':
          return deps.consumer ? deps.consumer.healthcheck() : (up() satisfies Health);
      }
    },
    live: {
      prepare: () => {
        throw new Error('the primary accepts no events itself');
      },
      accept: async () => {
        throw new Error('the primary accepts no events itself');
      },
      onAccepted(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
  };
}

/** A resolver whose invalidations (admin API changes in the primary) also reach every worker's cache. */
export function announcingResolver(resolver: LinkResolver, announce: (slug: string) => void): LinkResolver {
  return {
    store: resolver.store,
    resolve: (slug, host) => resolver.resolve(slug, host),
    invalidate(slug) {
      resolver.invalidate(slug);
      announce(slug);
    },
  };
}

import type { FieldRule, SourceAuth, SourceConfig } from './config.js';

/** A success answer, given how many events were stored. */
export type SourceReply = (accepted: number) => { readonly status: number; readonly body?: unknown };

/**
 * What the routes serve: a configured source, or one a preset expands to. `configPath` is where it comes from
 * in config.json, so a collision or a bad mapping is reported there.
 */
export interface SourceDefinition {
  readonly name: string;
  readonly configPath: string;
  readonly path: string;
  readonly methods: readonly ('POST' | 'PUT' | 'PATCH')[];
  readonly auth: SourceAuth;
  readonly batch: string;
  readonly map: Readonly<Record<string, FieldRule>>;
  readonly unmapped: 'params' | 'drop';
  readonly reply: SourceReply;
}

export function definitionOf(config: SourceConfig, index: number): SourceDefinition {
  const { reply, ...rest } = config;
  const status = reply?.status ?? 200;
  return {
    ...rest,
    configPath: `/protocols/sources/${index}`,
    reply: (accepted) => (status === 204 ? { status } : { status, body: reply?.body ?? { accepted } }),
  };
}

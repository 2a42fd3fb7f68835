import type { ProtocolsConfig } from '../config.js';
import { definitionOf, type SourceDefinition } from './definition.js';
import { eventkitSources, productGraphSources, vectorSources } from './presets.js';

/** Every source to serve: the enabled presets, then the configured sources. */
export function allSources(config: ProtocolsConfig): SourceDefinition[] {
  return [
    ...vectorSources(config.vector),
    ...eventkitSources(config.eventkit),
    ...productGraphSources(config.productgraph),
    ...config.sources.map((source, i) => definitionOf(source, i)),
  ];
}

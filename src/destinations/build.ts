import type { DestinationsConfig } from './config.js';
import { DestinationConfigError, type Destination } from './destination.js';
import { amplitudeDestination } from './vendors/amplitude.js';
import { mixpanelDestination } from './vendors/mixpanel.js';
import { postHogDestination } from './vendors/posthog.js';
import { webhookDestination } from './vendors/webhook.js';

/**
 * The enabled destinations of the config. Checks what the schema cannot: names unique across kinds (they name
 * durable consumers and directories), and a Mixpanel service account with its project id.
 */
export function buildDestinations(config: DestinationsConfig): Destination[] {
  const out: Destination[] = [];
  const seen = new Map<string, string>();
  const add = (path: string, name: string, enabled: boolean, make: () => Destination) => {
    const other = seen.get(name);
    if (other) throw new DestinationConfigError(`${path}/name`, `destination name ${JSON.stringify(name)} is already used at ${other}`);
    seen.set(name, path);
    if (enabled) out.push(make());
  };
  config.posthog.forEach((c, i) => add(`/destinations/posthog/${i}`, c.name, c.enabled, () => postHogDestination(c)));
  config.mixpanel.forEach((c, i) => {
    if (c.username && !c.projectId) throw new DestinationConfigError(`/destinations/mixpanel/${i}/projectId`, 'a service account (username) needs the project id');
    add(`/destinations/mixpanel/${i}`, c.name, c.enabled, () => mixpanelDestination(c));
  });
  config.amplitude.forEach((c, i) => add(`/destinations/amplitude/${i}`, c.name, c.enabled, () => amplitudeDestination(c)));
  config.webhooks.forEach((c, i) => add(`/destinations/webhooks/${i}`, c.name, c.enabled, () => webhookDestination(c)));
  return out;
}

export { DestinationsConfig } from './config.js';
export { createDestinations, type Destinations, type DestinationsOptions } from './runtime.js';
export { DestinationConfigError, type Destination, type SendResult } from './destination.js';
export { buildDestinations } from './build.js';
export { signBody, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './vendors/webhook.js';

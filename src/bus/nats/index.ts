export { createNatsBus, type NatsBusOptions } from './nats-bus.js';
export { NatsConfigError, NatsConnectError, StreamConfigError } from './errors.js';

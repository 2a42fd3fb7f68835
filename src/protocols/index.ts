export { ProtocolsConfig } from './config.js';
export { protocolsPlugin, type ProtocolsPluginOptions } from './plugin.js';

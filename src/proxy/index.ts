export { ProxyConfig, ProxyRoute } from './config.js';
export { proxyPlugin, proxyClaimsRoot, type ProxyPluginOptions } from './plugin.js';
export { classifyUpstreamError, type GatewayFailure } from './gateway-errors.js';
export { UpstreamPool } from './upstream-pool.js';
export { UpstreamDirectory, type UpstreamStatus } from './upstream-directory.js';
export { upstreamAdminRoutes, type UpstreamSource } from './admin-routes.js';
export { clusterUpstreams, type ClusterUpstreamStatus } from './cluster-upstreams.js';

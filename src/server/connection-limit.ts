import type { Server } from 'node:net';
import { Counter } from 'prom-client';
import type { Telemetry } from '../telemetry/telemetry.js';

/**
 * `server.maxConnections`: Node closes each connection over the cap as soon as it is accepted (its `drop`
 * event), so idle or slow sockets cannot hold memory without bound. Each refused connection is counted; the log
 * gets one line when the cap is reached and one when the count is back under it, not one per connection (a
 * flood would otherwise flood the log too).
 */
export function limitConnections(server: Server, max: number, telemetry: Telemetry, listener: string): void {
  if (max <= 0) return;
  server.maxConnections = max;
  const { refused, reached, cleared } = metricsOf(telemetry);
  let open = 0;
  let saturated = false;
  let dropped = 0;
  server.on('connection', (socket) => {
    open++;
    socket.once('close', () => {
      open--;
      // Cleared a little below the cap, so a listener sitting at its limit does not log twice per connection.
      if (saturated && open < Math.max(1, Math.floor(max * 0.9))) {
        saturated = false;
        cleared({ listener }, { open, max, refused: dropped });
        dropped = 0;
      }
    });
  });
  server.on('drop', () => {
    refused.inc({ listener });
    dropped++;
    if (!saturated) {
      saturated = true;
      reached({ listener }, { max });
    }
  });
}

// Several listeners (main, plain-HTTP redirect) share one registry: the metrics are made once per Telemetry.
const made = new WeakMap<Telemetry, ReturnType<typeof makeMetrics>>();

function metricsOf(telemetry: Telemetry) {
  let m = made.get(telemetry);
  if (!m) made.set(telemetry, (m = makeMetrics(telemetry)));
  return m;
}

function makeMetrics(telemetry: Telemetry) {
  return {
    refused: new Counter({
      name: 'gatehouse_connections_refused_total',
      help: 'Connections closed on accept because server.maxConnections were open.',
      labelNames: ['listener'],
      registers: [telemetry.registry],
    }),
    reached: telemetry.event('connectionLimitReached', 'Times a listener reached server.maxConnections.', 'warn', ['listener']),
    cleared: telemetry.event('connectionLimitCleared', 'Times a listener was back under server.maxConnections.', 'info', ['listener']),
  };
}

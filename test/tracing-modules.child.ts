/**
 * Child of tracing.test.ts: serves one tracking request with tracing off or on (argv[2]) and prints, as JSON, the
 * OpenTelemetry modules this process resolved. A process of its own, so nothing a test loaded before counts.
 */
import { registerHooks } from 'node:module';

const resolved = new Set<string>();
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.startsWith('@opentelemetry/')) resolved.add(specifier);
    return nextResolve(specifier, context);
  },
});

const { startGateway } = await import('./helpers/gateway.js');
const on = process.argv[2] === 'on';
// Port 9 (discard) is closed on loopback: with tracing on, the exports fail, which is not what is looked at here.
const gw = await startGateway(on ? { tracing: { enabled: true, endpoint: 'http://127.0.0.1:9/v1/traces', exportTimeout: '1s' } } : {});
const res = await fetch(`${gw.url}/tr/v1/?ename=probe`);
await res.arrayBuffer();
await gw.events(1);
await gw.stop();
process.stdout.write(JSON.stringify({ status: res.status, resolved: [...resolved].sort() }));

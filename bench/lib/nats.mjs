// A 3-node NATS JetStream cluster on the load core, as in production (streams with 3 replicas).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startPinned, stop, waitPort } from './proc.mjs';
import { freePort } from './ports.mjs';

export async function startNatsCluster(dir, core) {
  const nodes = [];
  const ports = [];
  for (let i = 0; i < 3; i++) ports.push({ client: await freePort(), cluster: await freePort() });
  for (let i = 0; i < 3; i++) {
    const store = join(dir, `n${i}`);
    mkdirSync(store, { recursive: true });
    const routes = ports.filter((_, j) => j !== i).map((p) => `"nats-route://127.0.0.1:${p.cluster}"`);
    const conf = [
      `server_name: n${i}`,
      `listen: "127.0.0.1:${ports[i].client}"`,
      `jetstream { store_dir: ${JSON.stringify(store)}, max_memory_store: 64MB, max_file_store: 16GB }`,
      `cluster { name: bench, listen: "127.0.0.1:${ports[i].cluster}", routes: [${routes.join(', ')}] }`,
    ].join('\n');
    const file = join(dir, `n${i}.conf`);
    writeFileSync(file, `${conf}\n`);
    nodes.push(startPinned(core, 'nats-server', ['-c', file], { logFile: join(dir, `n${i}.log`) }));
  }
  for (let i = 0; i < 3; i++) await waitPort(ports[i].client, { child: nodes[i] });
  const urls = ports.map((p) => `nats://127.0.0.1:${p.client}`);
  await waitJetStream(urls);
  return { urls, nodes, stop: () => Promise.all(nodes.map((n) => stop(n))) };
}

/** The meta leader is elected and the JetStream API answers. */
async function waitJetStream(urls) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const nc = await connect({ servers: urls, reconnect: false, timeout: 2_000 });
      try {
        const jsm = await jetstreamManager(nc, { timeout: 2_000 });
        await jsm.getAccountInfo();
        return;
      } finally {
        await nc.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`JetStream did not come up: ${err.message}`, { cause: err });
      await sleep(200);
    }
  }
}

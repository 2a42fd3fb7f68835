import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import * as acme from 'acme-client';
import type { AcmeConfig } from './config.js';
import type { AcmeStorage, KeyAndChain } from './acme-storage.js';
import type { ChallengeStore } from './challenges.js';
import { TlsError } from './errors.js';

/** Obtains one certificate per call from the configured CA. */
export interface AcmeIssuer {
  issue(name: string): Promise<KeyAndChain>;
  close(): void;
}

/**
 * An issuer over acme-client. The account key is created on first use and saved; the same key finds the same account
 * again (RFC 8555 §7.3.1), so restarts never register a new one.
 */
export function createAcmeIssuer(config: AcmeConfig, storage: AcmeStorage, challenges: ChallengeStore): AcmeIssuer {
  const scope = scopeHttpsOptions(config);
  let client: Promise<acme.Client> | undefined;

  const getClient = () => {
    client ??= accountKey(storage).then((accountKey) => new acme.Client({ directoryUrl: config.directoryUrl, accountKey }));
    client.catch(() => (client = undefined)); // a failed key read is retried on the next issue()
    return client;
  };

  return {
    async issue(name) {
      try {
        const privateKey = await acme.crypto.createPrivateEcdsaKey(); // P-256: small, fast handshakes, accepted everywhere
        const [key, csr] = await acme.crypto.createCsr({ commonName: name, altNames: [name] }, privateKey);
        const cert = await (await getClient()).auto({
          csr,
          email: config.email,
          termsOfServiceAgreed: config.acceptTermsOfService,
          challengePriority: ['http-01'],
          // acme-client's own pre-check fetches http://<name>/ through the system resolver, which says nothing about what
          // the CA sees (split DNS, NAT, port forwarding); the CA's validation is the one that counts.
          skipChallengeVerification: true,
          challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
            if (challenge.type === 'http-01') challenges.add(challenge.token, name, keyAuthorization);
          },
          challengeRemoveFn: async (_authz, challenge) => {
            if (challenge.type === 'http-01') challenges.remove(challenge.token);
          },
        });
        return { key: key.toString(), cert };
      } catch (err) {
        if (err instanceof TlsError) throw err;
        const message = `certificate order for ${name} failed: ${(err as Error).message}`;
        throw new TlsError('TLS_ACME_ORDER_FAILED', message, { cause: err });
      }
    },
    close() {
      acme.axios.interceptors.request.eject(scope.interceptor);
      scope.agent?.destroy();
    },
  };
}

async function accountKey(storage: AcmeStorage): Promise<string> {
  const saved = await storage.readAccountKey();
  if (saved) return saved;
  const created = (await acme.crypto.createPrivateEcdsaKey()).toString();
  await storage.writeAccountKey(created);
  return created;
}

/**
 * acme-client sends every request through one shared axios instance. Apply this CA's trust bundle and timeout only to
 * requests for its own origin, so several issuers (or other users of the instance) do not see each other's settings.
 */
function scopeHttpsOptions(config: AcmeConfig): { interceptor: number; agent: Agent | undefined } {
  const origin = new URL(config.directoryUrl).origin;
  let agent: Agent | undefined;
  if (config.caBundle) {
    try {
      agent = new Agent({ ca: readFileSync(config.caBundle), keepAlive: true });
    } catch (err) {
      throw new TlsError('TLS_STORAGE_FAILED', `cannot read acme.caBundle ${config.caBundle}`, { cause: err });
    }
  }
  const interceptor = acme.axios.interceptors.request.use((request) => {
    if (request.url && new URL(request.url, origin).origin === origin) {
      if (agent) request.httpsAgent = agent;
      request.timeout = config.requestTimeout;
    }
    return request;
  });
  return { interceptor, agent };
}

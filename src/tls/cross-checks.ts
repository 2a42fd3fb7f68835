import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { ConfigIssue } from '../config/errors.js';
import type { TlsConfig } from './config.js';

const YEAR_MS = 365 * 86_400_000;

/**
 * Rules of the TLS slice that span fields, run after the schema accepted it. `base` is the slice's JSON path in
 * config.json. File contents are checked by `tlsFileChecks` (for `gatehouse validate`) and again at start-up.
 */
export function tlsCrossChecks(c: TlsConfig, base = '/tls'): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string, value?: unknown) => issues.push({ path: `${base}${path}`, message, value });
  const acme = c.acme;

  if (acme.enabled) {
    if (!acme.email) add('/acme/email', 'acme.enabled needs a contact email');
    if (acme.domains.length === 0 && !acme.onDemand.enabled) add('/acme/domains', 'acme.enabled needs at least one domain (or acme.onDemand)');
    if (!acme.acceptTermsOfService) add('/acme/acceptTermsOfService', "acme.enabled needs the CA's terms of service accepted");
    if (!c.enabled) add('/enabled', 'acme.enabled has no effect while tls.enabled is false');
    if (acme.checkInterval >= acme.renewBefore) {
      add('/acme/checkInterval', 'must be shorter than acme.renewBefore, or a renewal may be noticed too late');
    }
  }
  if (acme.onDemand.enabled) {
    // Without an ask URL anyone could make the gateway order certificates for any name (CA rate limits, disk).
    if (!acme.onDemand.ask) add('/acme/onDemand/ask', 'acme.onDemand.enabled needs an ask URL that allows names');
    if (!acme.enabled) add('/acme/onDemand/enabled', 'acme.onDemand needs acme.enabled');
  }
  if (acme.retry.minDelay > acme.retry.maxDelay) add('/acme/retry/minDelay', 'must not exceed acme.retry.maxDelay');

  // HTTP-01 cannot prove control of a whole zone: wildcard names need DNS-01 (RFC 8555 §7.1.3, §8.3).
  acme.domains.forEach((name, i) => {
    if (name.startsWith('*.')) add(`/acme/domains/${i}`, 'wildcard names cannot be validated over HTTP-01', name);
  });
  duplicates(acme.domains).forEach(([name, i]) => add(`/acme/domains/${i}`, 'listed twice', name));

  const staticNames = new Map<string, string>();
  c.certificates.forEach((cert, i) => {
    cert.names.forEach((raw, j) => {
      const name = raw.toLowerCase();
      const path = `/certificates/${i}/names/${j}`;
      const other = staticNames.get(name);
      if (other) add(path, `already served by ${other}`, raw);
      else staticNames.set(name, `certificates/${i}`);
      if (acme.domains.some((d) => d.toLowerCase() === name)) add(path, 'also listed in acme.domains: pick one source', raw);
    });
  });

  if (c.enabled && c.certificates.length === 0 && !acme.enabled) {
    add('/certificates', 'tls.enabled needs at least one static certificate or acme.enabled');
  }
  if (c.defaultName) {
    const name = c.defaultName.toLowerCase();
    const known = staticNames.has(name) || acme.domains.some((d) => d.toLowerCase() === name);
    if (!known) add('/defaultName', 'not a configured certificate name', c.defaultName);
  }
  if (c.hsts.preload && (!c.hsts.includeSubDomains || c.hsts.maxAge < YEAR_MS)) {
    add('/hsts/preload', 'preload lists require includeSubDomains and a maxAge of at least 365d');
  }
  return issues;
}

/** Reads every static certificate and key and reports files that are missing, unparsable or do not belong together. */
export function tlsFileChecks(c: TlsConfig, base = '/tls'): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  c.certificates.forEach((entry, i) => {
    const path = `${base}/certificates/${i}`;
    try {
      const cert = readFileSync(entry.cert);
      const key = readFileSync(entry.key);
      createSecureContext({ cert, key }); // throws when the key does not match the leaf certificate
      const leaf = new X509Certificate(cert);
      if (Date.parse(leaf.validTo) < Date.now()) issues.push({ path: `${path}/cert`, message: `expired on ${leaf.validTo}` });
      for (const name of uncoveredNames(leaf, entry.names)) {
        issues.push({ path: `${path}/names`, message: 'the certificate does not cover this name', value: name });
      }
    } catch (err) {
      issues.push({ path, message: `cannot load: ${(err as Error).message}`, value: entry.cert });
    }
  });
  return issues;
}

/** The configured names a leaf certificate does not cover ("*.example.com" is checked as one of its hosts). */
export function uncoveredNames(leaf: X509Certificate, names: readonly string[]): string[] {
  return names.filter((name) => !leaf.checkHost(name.replace(/^\*\./, 'x.')));
}

function duplicates(names: readonly string[]): [string, number][] {
  const seen = new Set<string>();
  const out: [string, number][] = [];
  names.forEach((n, i) => {
    const key = n.toLowerCase();
    if (seen.has(key)) out.push([n, i]);
    seen.add(key);
  });
  return out;
}

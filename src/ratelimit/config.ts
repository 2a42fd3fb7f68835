import { Type, type StaticDecode } from '@sinclair/typebox';
import { Section, Duration, CidrList } from '../config/types.js';

/** Route classes that can be limited (as set by each route's `config.routeClass`). */
export const LIMITED_CLASSES = ['tracking', 'pixel', 'redirect', 'shortlink', 'proxy', 'static', 'admin'] as const;
export type LimitedClass = (typeof LIMITED_CLASSES)[number];

interface RuleDefaults {
  key?: 'ip' | 'ip+path' | 'apiKey';
  points: number;
  duration?: string;
  burst: number;
}

/** One class's rule; each class has its own defaults, so the builder takes them. */
const Rule = (cls: string, d: RuleDefaults) =>
  Section(
    {
      key: Type.Union([Type.Literal('ip'), Type.Literal('ip+path'), Type.Literal('apiKey')], {
        default: d.key ?? 'ip',
        description:
          'What one client is: "ip" (the client IP through trusted proxies; an IPv6 client by its ipv6Prefix network), "ip+path" (per IP and matched route, e.g. "/tr/v1/*", not the raw path), "apiKey" (the X-Api-Key or Bearer key, hashed; the IP when absent).',
      }),
      points: Type.Integer({
        minimum: 0,
        default: d.points,
        description: 'Requests one client may make per `duration`, sustained. 0: this class is not limited.',
      }),
      duration: Duration(d.duration ?? '1s', { description: 'The window `points` refills over.' }),
      burst: Type.Integer({
        minimum: 0,
        default: d.burst,
        description: 'Extra requests allowed on top of `points` when a client exceeds it, refilled over `burstWindow`.',
      }),
      burstWindow: Duration('10s', { description: 'The window the `burst` allowance refills over.' }),
    },
    { description: `Limit for ${cls} routes.` },
  );

export const RateLimitRules = Section(
  {
    tracking: Rule('tracking (event collection)', { points: 100, burst: 200 }),
    pixel: Rule('pixel (email opens; over the limit the GIF is still served but nothing is recorded)', { points: 50, burst: 100 }),
    redirect: Rule('redirect (tracked links)', { points: 50, burst: 100 }),
    shortlink: Rule('shortlink', { points: 50, burst: 100 }),
    proxy: Rule('proxy (reverse-proxied backends)', { points: 500, burst: 1000 }),
    static: Rule('static files', { points: 500, burst: 1000 }),
    admin: Rule('admin API', { points: 10, burst: 20 }),
  },
  { description: 'Limits per route class. Classes not listed here (health, readiness, metrics) are never limited.' },
);

export const RateLimitConfig = Section(
  {
    enabled: Type.Boolean({ default: true, description: 'Rate-limit clients per route class.' }),
    allowCidrs: CidrList({ description: 'Client IPs or CIDRs never limited (monitoring, your own backends).' }),
    ipv6Prefix: Type.Integer({
      minimum: 16,
      maximum: 128,
      default: 64,
      description: 'An IPv6 client is limited by its network of this many bits (one subscriber usually has a whole /64); 128: each address alone.',
    }),
    store: Type.Union([Type.Literal('memory'), Type.Literal('redis')], {
      default: 'memory',
      description: '"memory": limits per process. "redis": limits shared by every instance using the same Redis.',
    }),
    redis: Section(
      {
        url: Type.String({
          default: '',
          // writeOnly: it can hold a password, so config errors never show it.
          writeOnly: true,
          description: 'Redis URL ("redis://host:6379/0"); use "${REDIS_URL}". Required when store is "redis".',
        }),
        keyPrefix: Type.String({ default: 'gatehouse:rl', minLength: 1, description: 'Prefix of every rate-limit key in Redis.' }),
      },
      { description: 'The shared store. While Redis is unreachable each instance limits on its own in memory.' },
    ),
    rules: RateLimitRules,
  },
  { description: 'Rate limiting: 429 with Retry-After and RateLimit-* headers when a client exceeds its class limit.' },
);

export type RateLimitRule = StaticDecode<ReturnType<typeof Rule>>;
export type RateLimitConfig = StaticDecode<typeof RateLimitConfig>;

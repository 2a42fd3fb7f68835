import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * A small network of our own for the network fault suite: one network namespace per host, each on a veth pair
 * whose outer end hangs on a bridge in this namespace, on a random 10.231.x.0/24 that no interface here uses. The
 * test process reaches every host through the bridge's address (x.254). Faults are nftables rules on the bridge's
 * forwarding path (a `bridge` table in this namespace, one chain per host): a packet is dropped on the wire, after
 * its sender's kernel sent it, as a real network loses it. Not in the hosts' own output hooks: a packet dropped
 * there fails its send with EPERM, which TCP treats as a local send failure (it waits on its zero-window probe
 * timer, backing off from a retransmission timeout of seconds) rather than as a loss, and stalls a lossy link far
 * longer than a network does. Drop to and from some peers, in one direction or both, or drop a share of packets
 * (`numgen random mod 100 < N`; `tc netem` is not available on these machines). Names carry a random tag per run;
 * `destroy()` removes the namespaces, the bridge (the veth pairs go with their namespace) and the table.
 */
export interface NetHost {
  readonly label: string;
  readonly ns: string;
  readonly ip: string;
}

const run = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' }).toString();

/** Why namespaces cannot be made here (not root, no `ip`/`nft`), or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (network namespaces need CAP_NET_ADMIN)';
  try {
    run('ip', '-V');
    run('nft', '--version');
  } catch (err) {
    return `ip or nft missing (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
  return undefined;
}

export type Direction = 'both' | 'in' | 'out';

export class NetLab {
  private readonly hosts = new Map<string, NetHost>();
  private readonly bridge: string;
  private readonly made: string[] = [];
  private bridgeMade = false;
  private tableMade = false;

  private constructor(
    private readonly tag: string,
    private readonly subnet: string,
  ) {
    this.bridge = `${tag}br`;
  }

  /** The hosts, in order, at x.1, x.2, ...; the bridge (this process) at x.254. */
  static create(labels: readonly string[]): NetLab {
    const lab = new NetLab(`gh${randomBytes(2).toString('hex')}`, freeSubnet());
    try {
      lab.setUp(labels);
    } catch (err) {
      lab.destroy();
      throw err;
    }
    return lab;
  }

  /** This process's address on the bridge: what hosts reach the test's own servers on. */
  get gatewayIp(): string {
    return `${this.subnet}.254`;
  }

  host(label: string): NetHost {
    const h = this.hosts.get(label);
    if (!h) throw new Error(`no host ${label}`);
    return h;
  }

  /** Command prefix that runs a program in the host's namespace (`ip netns exec` execs it: the PID is the program's). */
  exec(label: string): string[] {
    return ['ip', 'netns', 'exec', this.host(label).ns];
  }

  /** Drops traffic between `label` and `peers` (in: what `label` receives, out: what it sends). */
  block(label: string, peers: readonly string[], direction: Direction = 'both'): void {
    this.drop(label, peers, direction, 'drop');
  }

  /** Drops `percent`% of the packets between `label` and `peers`, each way. */
  loss(label: string, peers: readonly string[], percent: number): void {
    this.drop(label, peers, 'both', `numgen random mod 100 < ${percent} drop`);
  }

  /**
   * Bytes `label`'s TCP sockets to `peer` hold unsent or unacknowledged (their Send-Q), connection attempts
   * (SYN-SENT, whose SYN counts) left out: what the kernel would still deliver to `peer` when the link heals.
   */
  queuedTo(label: string, peer: string): number {
    const out = run('ip', 'netns', 'exec', this.host(label).ns, 'ss', '-Htn', 'exclude', 'syn-sent', 'dst', this.host(peer).ip);
    return out
      .split('\n')
      .map((line) => Number(line.trim().split(/\s+/)[2] ?? 0))
      .reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  }

  /** Removes every fault rule of `label`. */
  heal(label: string): void {
    run('nft', 'flush', 'chain', 'bridge', this.tag, this.chainOf(label));
  }

  /** Removes the namespaces and the bridge; safe to call twice and after a half-made setup. */
  destroy(): void {
    if (this.tableMade) {
      this.tableMade = false;
      try {
        run('nft', 'delete', 'table', 'bridge', this.tag);
      } catch {
        // Already gone.
      }
    }
    for (const ns of this.made.splice(0)) {
      try {
        run('ip', 'netns', 'del', ns);
      } catch {
        // Already gone.
      }
    }
    if (this.bridgeMade) {
      this.bridgeMade = false;
      try {
        run('ip', 'link', 'del', this.bridge);
      } catch {
        // Already gone.
      }
    }
  }

  private setUp(labels: readonly string[]): void {
    run('ip', 'link', 'add', this.bridge, 'type', 'bridge');
    this.bridgeMade = true;
    run('ip', 'addr', 'add', `${this.gatewayIp}/24`, 'dev', this.bridge);
    run('ip', 'link', 'set', this.bridge, 'up');
    run('nft', 'add', 'table', 'bridge', this.tag);
    this.tableMade = true;
    run('nft', 'add', 'chain', 'bridge', this.tag, 'relay', '{ type filter hook forward priority 0 ; policy accept ; }');
    labels.forEach((label, i) => {
      const ns = `${this.tag}-${label}`;
      const outer = `${this.tag}o${i}`;
      const inner = `${this.tag}i${i}`;
      const ip = `${this.subnet}.${i + 1}`;
      run('ip', 'netns', 'add', ns);
      this.made.push(ns);
      run('ip', 'link', 'add', outer, 'type', 'veth', 'peer', 'name', inner);
      run('ip', 'link', 'set', inner, 'netns', ns);
      run('ip', 'link', 'set', outer, 'master', this.bridge, 'up');
      run('ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', inner);
      run('ip', '-n', ns, 'link', 'set', inner, 'up');
      run('ip', '-n', ns, 'link', 'set', 'lo', 'up');
      this.hosts.set(label, { label, ns, ip });
      run('nft', 'add', 'chain', 'bridge', this.tag, this.chainOf(label));
      run('nft', 'add', 'rule', 'bridge', this.tag, 'relay', 'jump', this.chainOf(label));
    });
  }

  /** Adds `verdict` for packets between `label` and `peers` crossing the bridge, in `label`'s chain. */
  private drop(label: string, peers: readonly string[], direction: Direction, verdict: string): void {
    const own = this.host(label).ip;
    const ips = this.ips(peers);
    const add = (rule: string) => run('nft', `add rule bridge ${this.tag} ${this.chainOf(label)} ${rule} ${verdict}`);
    if (direction !== 'out') add(`ip saddr ${ips} ip daddr ${own}`);
    if (direction !== 'in') add(`ip saddr ${own} ip daddr ${ips}`);
  }

  private chainOf(label: string): string {
    return `host-${this.host(label).label}`;
  }

  private ips(peers: readonly string[]): string {
    return `{ ${peers.map((p) => this.host(p).ip).join(', ')} }`;
  }
}

/** A 10.231.x.0/24 no interface of this namespace has an address in. */
function freeSubnet(): string {
  const used = run('ip', '-4', '-o', 'addr');
  for (let tries = 0; tries < 50; tries++) {
    const subnet = `10.231.${1 + Math.floor(Math.random() * 250)}`;
    if (!used.includes(` ${subnet}.`)) return subnet;
  }
  throw new Error('no free 10.231.x.0/24 subnet');
}

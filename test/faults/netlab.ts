import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * A small network of our own for the network fault suite: one network namespace per host, each on a veth pair
 * whose outer end hangs on a bridge in this namespace, on a random 10.231.x.0/24 that no interface here uses. The
 * test process reaches every host through the bridge's address (x.254). Faults are nftables rules inside a
 * host's namespace (`tc netem` is not available on these machines): drop to and from some peers, in one
 * direction or both, or drop a share of packets (`numgen random mod 100 < N`). Names carry a random tag per
 * run; `destroy()` removes the namespaces and the bridge (the veth pairs go with their namespace).
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
    const ips = this.ips(peers);
    if (direction !== 'out') this.rule(label, 'rx', `ip saddr ${ips} drop`);
    if (direction !== 'in') this.rule(label, 'tx', `ip daddr ${ips} drop`);
  }

  /** Drops `percent`% of the packets between `label` and `peers`, each way. */
  loss(label: string, peers: readonly string[], percent: number): void {
    const ips = this.ips(peers);
    this.rule(label, 'rx', `ip saddr ${ips} numgen random mod 100 < ${percent} drop`);
    this.rule(label, 'tx', `ip daddr ${ips} numgen random mod 100 < ${percent} drop`);
  }

  /** Removes every fault rule of `label`. */
  heal(label: string): void {
    const ns = this.host(label).ns;
    run('ip', 'netns', 'exec', ns, 'nft', 'flush', 'chain', 'inet', 'fault', 'rx');
    run('ip', 'netns', 'exec', ns, 'nft', 'flush', 'chain', 'inet', 'fault', 'tx');
  }

  /** Removes the namespaces and the bridge; safe to call twice and after a half-made setup. */
  destroy(): void {
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
      run('ip', 'netns', 'exec', ns, 'nft', 'add', 'table', 'inet', 'fault');
      run('ip', 'netns', 'exec', ns, 'nft', 'add', 'chain', 'inet', 'fault', 'rx', '{ type filter hook input priority 0 ; policy accept ; }');
      run('ip', 'netns', 'exec', ns, 'nft', 'add', 'chain', 'inet', 'fault', 'tx', '{ type filter hook output priority 0 ; policy accept ; }');
      this.hosts.set(label, { label, ns, ip });
    });
  }

  private rule(label: string, chain: 'rx' | 'tx', rule: string): void {
    run('ip', 'netns', 'exec', this.host(label).ns, 'nft', `add rule inet fault ${chain} ${rule}`);
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

import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

/**
 * A "Pi" on its own network: a namespace joined to this machine (the "NUC")
 * by a veth pair, with its own /etc/hosts (/etc/netns/NAME/hosts, which
 * `ip netns exec` mounts over /etc/hosts). Needs root, as CI has.
 */
export class PiNamespace {
  readonly nucAddress = '10.231.0.1';
  readonly piAddress = '10.231.0.2';
  private readonly nucLink = 'tw-nuc0';
  private readonly piLink = 'tw-pi0';

  constructor(
    readonly name: string,
    /** The name the brokers advertise, which the Pi must map to the NUC. */
    readonly nucHost: string,
  ) {}

  create(): void {
    this.destroy();
    ip('netns', 'add', this.name);
    ip('link', 'add', this.nucLink, 'type', 'veth', 'peer', 'name', this.piLink);
    ip('link', 'set', this.piLink, 'netns', this.name);
    ip('addr', 'add', `${this.nucAddress}/30`, 'dev', this.nucLink);
    ip('link', 'set', this.nucLink, 'up');
    this.exec('ip', 'addr', 'add', `${this.piAddress}/30`, 'dev', this.piLink);
    this.exec('ip', 'link', 'set', this.piLink, 'up');
    this.exec('ip', 'link', 'set', 'lo', 'up');
    this.setHostsLine(true);
  }

  /** Writes the Pi's hosts file with or without the NUC's line. */
  setHostsLine(present: boolean): void {
    mkdirSync(`/etc/netns/${this.name}`, { recursive: true });
    const nuc = present ? `${this.nucAddress} ${this.nucHost}\n` : '';
    writeFileSync(`/etc/netns/${this.name}/hosts`, `127.0.0.1 localhost\n${nuc}`);
  }

  setLink(up: boolean): void {
    ip('link', 'set', this.nucLink, up ? 'up' : 'down');
  }

  /** argv prefix that runs a command inside the namespace. */
  command(...argv: string[]): string[] {
    return ['ip', 'netns', 'exec', this.name, ...argv];
  }

  exec(...argv: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.name, ...argv], { encoding: 'utf8' });
  }

  destroy(): void {
    try {
      ip('link', 'del', this.nucLink);
    } catch {
      // not there
    }
    try {
      ip('netns', 'del', this.name);
    } catch {
      // not there
    }
    rmSync(`/etc/netns/${this.name}`, { recursive: true, force: true });
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

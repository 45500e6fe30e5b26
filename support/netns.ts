import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

/**
 * A "Pi" on its own network: a namespace joined to this machine (the "NUC")
 * by a veth pair, with its own /etc/hosts (/etc/netns/NAME/hosts, which
 * `ip netns exec` mounts over /etc/hosts). Needs root, as CI has.
 */
export interface PiNamespaceOptions {
  /** First three octets of the /30 the link uses; the NUC is .1, the Pi .2. Default `10.231.0`. */
  subnet?: string;
  /** The link's end on this machine. Default `tw-nuc0`. */
  nucLink?: string;
  /** The link's end in the namespace. Default `tw-pi0`. */
  piLink?: string;
}

export class PiNamespace {
  readonly nucAddress: string;
  readonly piAddress: string;
  private readonly nucLink: string;
  private readonly piLink: string;

  constructor(
    readonly name: string,
    /** The name the brokers advertise, which the Pi must map to the NUC. */
    readonly nucHost: string,
    options: PiNamespaceOptions = {},
  ) {
    const subnet = options.subnet ?? '10.231.0';
    this.nucAddress = `${subnet}.1`;
    this.piAddress = `${subnet}.2`;
    this.nucLink = options.nucLink ?? 'tw-nuc0';
    this.piLink = options.piLink ?? 'tw-pi0';
  }

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

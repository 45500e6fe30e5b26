import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { readFile } from 'node:fs';
import { isIP, type LookupFunction } from 'node:net';
import { promisify } from 'node:util';
import type { Logger } from '../log.js';
import { parseHostsFile } from './hostsFile.js';

// Callback fs, promisified: node:fs/promises would load Node's readline and
// file-watcher modules into the agent for this one read (docs/PERFORMANCE.md).
const readFileAsync = promisify(readFile);

export interface ResolverOptions {
  /** Hosts file read before DNS. Default `/etc/hosts`. */
  hostsFile: string;
  logger: Logger;
}

/**
 * Resolves broker names the way the lab needs: the hosts file first (re-read
 * on every connection, since its lines can vanish after a reboot), then DNS.
 * A name that resolves nowhere is reported once, with the line to add, and
 * again only after it has resolved in between — retries stay quiet.
 */
export class BrokerResolver {
  private readonly unresolved = new Set<string>();

  constructor(private readonly options: ResolverOptions) {}

  async resolve(name: string): Promise<LookupAddress[]> {
    if (isIP(name)) return [{ address: name, family: isIP(name) }];
    const fromFile = await this.fromHostsFile(name);
    const addresses = fromFile.length > 0 ? fromFile : await fromDns(name);
    if (addresses.length > 0) {
      if (this.unresolved.delete(name)) this.options.logger.info({ host: name, address: addresses[0]?.address }, 'broker name resolves again');
      return addresses;
    }
    if (!this.unresolved.has(name)) {
      this.unresolved.add(name);
      this.options.logger.error(
        { host: name, hostsFile: this.options.hostsFile },
        `cannot resolve broker host "${name}": add the line "<NUC_IP> ${name}" to ${this.options.hostsFile} (the NUC's address, then its name); retrying quietly`,
      );
    }
    throw Object.assign(new Error(`cannot resolve ${name}: not in ${this.options.hostsFile} nor in DNS`), { code: 'ENOTFOUND' });
  }

  /** A `lookup` for net.connect, so kafkajs resolves through this resolver. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (addresses) => {
        const wanted = options.family ? addresses.filter((a) => a.family === options.family) : addresses;
        const list = wanted.length > 0 ? wanted : addresses;
        if (options.all) (callback as unknown as (err: null, all: LookupAddress[]) => void)(null, list);
        else callback(null, list[0]?.address ?? '', list[0]?.family ?? 4);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 4),
    );
  };

  private async fromHostsFile(name: string): Promise<LookupAddress[]> {
    let text: string;
    try {
      text = await readFileAsync(this.options.hostsFile, 'utf8');
    } catch {
      return [];
    }
    return (parseHostsFile(text).get(name.toLowerCase()) ?? []).map((address) => ({ address, family: isIP(address) }));
  }
}

function fromDns(name: string): Promise<LookupAddress[]> {
  return new Promise((resolve) => {
    dnsLookup(name, { all: true }, (err, addresses) => resolve(err ? [] : addresses));
  });
}

import { isIP } from 'node:net';

/**
 * /etc/hosts as a map of name → addresses, in file order. Each line is an
 * address followed by names; `#` starts a comment. Names are case-insensitive.
 */
export function parseHostsFile(text: string): Map<string, string[]> {
  const hosts = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const [address, ...names] = (raw.split('#')[0] as string).trim().split(/\s+/);
    if (!address || isIP(address) === 0) continue;
    for (const name of names) {
      const key = name.toLowerCase();
      hosts.set(key, [...(hosts.get(key) ?? []), address]);
    }
  }
  return hosts;
}

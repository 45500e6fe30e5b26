import { ProcParseError } from './procStat.js';

/** Cumulative counters of one interface, named as the lab names them. */
export interface InterfaceCounters {
  rx: number;
  tx: number;
  rx_dropped: number;
  tx_dropped: number;
  rxError: number;
  txError: number;
}

/**
 * /proc/net/dev: after "name:", 8 receive columns (bytes packets errs drop
 * fifo frame compressed multicast) then 8 transmit columns (bytes packets
 * errs drop fifo colls carrier compressed).
 */
export function parseNetDev(text: string): Map<string, InterfaceCounters> {
  const interfaces = new Map<string, InterfaceCounters>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.includes('|')) continue;
    const name = line.slice(0, colon).trim();
    interfaces.set(name, countersOf(name, line.slice(colon + 1)));
  }
  return interfaces;
}

/**
 * The counters of one interface, undefined when /proc/net/dev has no line for
 * it: what the once-a-second sample needs, without splitting every line.
 */
export function netDevCounters(text: string, name: string): InterfaceCounters | undefined {
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline;
    const colon = text.indexOf(':', start);
    if (colon > start && colon < end && text.slice(start, colon).trim() === name) return countersOf(name, text.slice(colon + 1, end));
    start = end + 1;
  }
  return undefined;
}

function countersOf(name: string, columns: string): InterfaceCounters {
  const n = columns.trim().split(/\s+/).map(Number);
  if (n.length < 16 || n.some((v) => !Number.isFinite(v))) {
    throw new ProcParseError(`unreadable /proc/net/dev line for ${name}`);
  }
  return { rx: n[0]!, rxError: n[2]!, rx_dropped: n[3]!, tx: n[8]!, txError: n[10]!, tx_dropped: n[11]! };
}

/** The interface of the default route in /proc/net/route, if there is one. */
export function defaultRouteInterface(routeText: string): string | undefined {
  for (const line of routeText.split('\n').slice(1)) {
    const [iface, destination, , , , , , mask] = line.trim().split(/\s+/);
    if (iface && destination === '00000000' && mask === '00000000') return iface;
  }
  return undefined;
}

/**
 * The interface whose counters the agent reports: the one named, else the
 * default route's, else the first that is not loopback.
 */
export function choosePrimaryInterface(names: string[], routeText: string, wanted?: string): string | undefined {
  if (wanted) return names.includes(wanted) ? wanted : undefined;
  const routed = defaultRouteInterface(routeText);
  if (routed && names.includes(routed)) return routed;
  return names.find((name) => name !== 'lo');
}

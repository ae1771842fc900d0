/**
 * Where webhooks may be sent (the guard that keeps an admin key from turning the daemon into a scanner of the
 * internal network). The configured allow-list holds host names ("crm.example.com", "*.example.com"), IP
 * addresses and CIDR networks:
 * - empty list: any host, but only public addresses;
 * - otherwise: the URL's host must match a listed host, or its addresses must lie in a listed network;
 * - a special address (private, loopback, link-local, CGNAT, multicast, reserved, IPv4-mapped of those) is
 *   allowed only inside a listed network, even when a listed host name resolves to it (DNS rebinding).
 * The address check runs on the address actually connected to (sender.ts passes `checkAddress` as the socket's
 * DNS lookup), so a name that resolves differently between the check and the connect cannot slip through.
 */
import { BlockList, isIP } from 'node:net';

const HOST_PATTERN = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Networks no webhook may reach unless the allow-list names them. */
const SPECIAL_V4 = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const;
const SPECIAL_V6 = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const;

const special = new BlockList();
for (const [net, bits] of SPECIAL_V4) special.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of SPECIAL_V6) special.addSubnet(net, bits, 'ipv6');

/** "10.0.0.0/8" → ["10.0.0.0", 8, "ipv4"]; a bare address is a network of one. */
function parseNetwork(entry: string): [string, number, 'ipv4' | 'ipv6'] | null {
  const [address = '', bitsText, extra] = entry.split('/');
  if (extra !== undefined) return null;
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (
    !Number.isInteger(bits) ||
    bits < 0 ||
    bits > max ||
    (bitsText !== undefined && !/^\d+$/.test(bitsText))
  )
    return null;
  return [address, bits, version === 4 ? 'ipv4' : 'ipv6'];
}

export function isTargetEntry(entry: string): boolean {
  return parseNetwork(entry) !== null || HOST_PATTERN.test(entry);
}

/** "[::1]" → "::1" (URL.hostname keeps the brackets of an IPv6 literal). */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** An IPv4-mapped IPv6 address ("::ffff:10.0.0.1") is checked as the IPv4 address it carries. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1] as string, family: 'ipv4' };
  // The URL parser writes "[::ffff:127.0.0.1]" as "[::ffff:7f00:1]".
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hex) {
    const [high, low] = [parseInt(hex[1] as string, 16), parseInt(hex[2] as string, 16)];
    return { address: [high >> 8, high & 255, low >> 8, low & 255].join('.'), family: 'ipv4' };
  }
  return { address, family: isIP(address) === 4 ? 'ipv4' : 'ipv6' };
}

export class TargetPolicy {
  private readonly networks = new BlockList();
  private readonly hosts: string[] = [];
  private readonly hasNetworks: boolean;

  constructor(readonly allow: readonly string[]) {
    let networks = 0;
    for (const entry of allow) {
      const network = parseNetwork(entry);
      if (network) {
        this.networks.addSubnet(...network);
        networks += 1;
      } else this.hosts.push(entry.toLowerCase());
    }
    this.hasNetworks = networks > 0;
  }

  /** Whether the URL's host name matches a listed host ("*.example.com" matches sub-domains only). */
  hostListed(hostname: string): boolean {
    const host = bareHost(hostname).toLowerCase().replace(/\.$/, '');
    return this.hosts.some((h) => (h.startsWith('*.') ? host.endsWith(h.slice(1)) : host === h));
  }

  /** Why a URL can never be allowed, whatever its host resolves to; null when it may be (addresses decide). */
  checkUrl(url: URL): string | null {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'only http and https URLs';
    if (url.username || url.password) return 'credentials in the URL are not allowed; sign with the secret';
    const host = bareHost(url.hostname);
    if (isIP(host)) return this.checkAddress(host, this.hostListed(host));
    if (this.allow.length === 0 || this.hasNetworks || this.hostListed(host)) return null;
    return `host ${host} is not in webhooks.allow`;
  }

  /** Why a connection to `address` (for a host that is listed or not) is refused; null when allowed. */
  checkAddress(address: string, hostListed: boolean): string | null {
    const { address: ip, family } = unmapped(address);
    if (this.networks.check(ip, family)) return null;
    if (special.check(ip, family))
      return `address ${address} is private or reserved and not in webhooks.allow`;
    if (this.allow.length === 0 || hostListed) return null;
    return `address ${address} is not in webhooks.allow`;
  }
}

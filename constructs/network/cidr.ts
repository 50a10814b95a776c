/** IPv4 CIDR helpers shared by construct validation and the platform config. */

export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit number. */
  readonly base: number;
  /** Prefix length (0-32). */
  readonly prefix: number;
}

const RFC1918_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

/** Parses `a.b.c.d/n`; returns undefined for anything else (including host bits set). */
export function parseIpv4Cidr(cidr: string): Ipv4Cidr | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((base & ~mask) >>> 0 !== 0) return undefined;
  return { base, prefix };
}

/** True when `inner` lies wholly inside `outer`. */
export function cidrContains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  if (inner.prefix < outer.prefix) return false;
  const mask = outer.prefix === 0 ? 0 : (0xffffffff << (32 - outer.prefix)) >>> 0;
  return ((inner.base & mask) >>> 0) === outer.base;
}

/** True when the CIDR lies wholly inside 10/8, 172.16/12 or 192.168/16. */
export function isRfc1918(cidr: string): boolean {
  const parsed = parseIpv4Cidr(cidr);
  return parsed !== undefined && RFC1918_RANGES.some((range) => cidrContains(parseIpv4Cidr(range)!, parsed));
}

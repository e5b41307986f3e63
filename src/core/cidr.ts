import ipaddr from "ipaddr.js";
import { InvalidOptionError } from "../errors.ts";

/** A parsed CIDR rule; IPv4-mapped IPv6 addresses are compared as the IPv4 they carry. */
export type CidrRule = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * Parses a list of CIDRs or single addresses ("10.0.0.0/8", "::1", "2001:db8::/32").
 * `what` names the setting in errors, e.g. "TICKFLOW_ALLOWED_IPS".
 *
 * Only canonical text is accepted: IPv4 as four decimal parts without leading zeros, IPv6 as
 * RFC 4291 text (an embedded IPv4 tail likewise). The lenient inet_aton forms ("010.0.0.0" read
 * as octal 8.0.0.0, "10.1" as 10.0.0.1, "0x0a.0.0.0", "2130706433") mean different addresses to
 * different parsers — the CVE-2021-28918 class — so an entry in one of them stops startup instead.
 * A list whose entries are all blank (`" , "`) is refused: it would silently mean "anyone".
 */
export function parseCidrList(entries: readonly string[], what: string): CidrRule[] {
  if (entries.length > 0 && entries.every((entry) => entry.trim() === "")) {
    throw new InvalidOptionError(
      `${what}: the list has only blank entries; remove the setting to allow any address`,
    );
  }
  return entries.map((raw) => {
    const entry = raw.trim();
    const canonical = canonicalProblem(entry);
    if (canonical) throw new InvalidOptionError(`${what}: "${entry}" ${canonical}`);
    try {
      if (entry.includes("/")) {
        const [address, bits] = ipaddr.parseCIDR(entry);
        return normalizeRule(address, bits);
      }
      const address = ipaddr.process(entry);
      return [address, address.kind() === "ipv4" ? 32 : 128] as CidrRule;
    } catch {
      throw new InvalidOptionError(`${what}: "${entry}" is not an IP address or CIDR range`);
    }
  });
}

const PREFIX_BITS = /^(0|[1-9]\d{0,2})$/;
const IPV4_TAIL = /:(\d+(?:\.\d+)*)$/;

/** Why `entry` is not canonical address or CIDR text; undefined when it is. */
function canonicalProblem(entry: string): string | undefined {
  if (entry === "") return "is blank (an empty entry in the list)";
  const slash = entry.indexOf("/");
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const bits = slash === -1 ? undefined : entry.slice(slash + 1);
  const hint = 'use canonical text such as "10.0.0.0/8", "192.168.1.8" or "2001:db8::/32"';
  if (bits !== undefined && !PREFIX_BITS.test(bits)) return `has a malformed prefix length; ${hint}`;
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) return undefined;
  if (!address.includes(":")) {
    return ipaddr.IPv4.isValid(address)
      ? `is not canonical IPv4 (four decimal parts without leading zeros: octal, hex, short and integer forms are refused); ${hint}`
      : `is not an IP address or CIDR range; ${hint}`;
  }
  if (!ipaddr.IPv6.isValid(address)) return `is not an IP address or CIDR range; ${hint}`;
  const tail = IPV4_TAIL.exec(address)?.[1];
  if (tail?.includes(".") && !ipaddr.IPv4.isValidFourPartDecimal(tail)) {
    return `has an embedded IPv4 part that is not canonical; ${hint}`;
  }
  return undefined;
}

/** "::ffff:10.0.0.0/104" is the IPv4 rule 10.0.0.0/8: store it that way so IPv4 peers match. */
function normalizeRule(address: ipaddr.IPv4 | ipaddr.IPv6, bits: number): CidrRule {
  if (address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [address, bits];
}

/** Parses a peer address, unwrapping IPv4-mapped IPv6 (`::ffff:a.b.c.d`); null when unparseable. */
export function parseIp(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  try {
    return ipaddr.process(ip.replace(/^\[|\]$/g, "").replace(/%.*$/, ""));
  } catch {
    return null;
  }
}

export function matchesAny(ip: string, rules: readonly CidrRule[]): boolean {
  const address = parseIp(ip);
  if (!address) return false;
  return rules.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
}

/**
 * The client address: the direct peer, unless the peer is a trusted proxy — then X-Forwarded-For
 * read right to left, skipping trusted hops; the first untrusted hop is the client. A header from
 * an untrusted peer is ignored entirely (anyone can send one).
 */
export function resolveClientIp(
  peer: string,
  forwardedFor: string | undefined,
  trusted: readonly CidrRule[],
): string {
  if (!forwardedFor || trusted.length === 0 || !matchesAny(peer, trusted)) return peer;
  const hops = forwardedFor
    .split(",")
    .map((hop) => hop.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (parseIp(hop) === null) return peer; // garbage in the chain: trust nothing past it
    if (!matchesAny(hop, trusted)) return hop;
  }
  return hops[0] ?? peer;
}

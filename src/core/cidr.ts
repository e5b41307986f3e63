import ipaddr from "ipaddr.js";
import { InvalidOptionError } from "../errors.ts";

/** A parsed CIDR rule; IPv4-mapped IPv6 addresses are compared as the IPv4 they carry. */
export type CidrRule = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * Parses a list of CIDRs or single addresses ("10.0.0.0/8", "::1", "2001:db8::/32").
 * `what` names the setting in errors, e.g. "TICKFLOW_ALLOWED_IPS".
 */
export function parseCidrList(entries: readonly string[], what: string): CidrRule[] {
  return entries.map((raw) => {
    const entry = raw.trim();
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

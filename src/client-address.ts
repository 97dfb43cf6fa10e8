// The reader's address, believing X-Forwarded-For only from the proxies TRUST_PROXY names: the leftmost
// entry is whatever the client wrote, so it is never taken blindly. Used for per-address limits only;
// addresses are never stored, logged or exported.
import type { IncomingMessage } from 'node:http';
import { ipKeyGenerator } from 'express-rate-limit';
import proxyaddr from 'proxy-addr';

export type AddressOf = (request: IncomingMessage) => string;

/** One IPv6 subscriber gets a whole /64 (RFC 6177), so limits group IPv6 addresses by it. */
export const IPV6_LIMIT_PREFIX = 64;

/**
 * The key per-address limits count by: an IPv4 address as is (also when IPv4-mapped, ::ffff:a.b.c.d),
 * an IPv6 address by its /64. The socket cap and the HTTP limiter both use this helper of
 * express-rate-limit's with this prefix, so the two limits agree on who one client is.
 */
export function addressGroup(address: string): string {
  return ipKeyGenerator(address, IPV6_LIMIT_PREFIX);
}

export function addressResolver(trustProxy: boolean | number | string[]): AddressOf {
  const trust: (address: string, hop: number) => boolean =
    trustProxy === false ? () => false : trustProxy === true ? () => true : typeof trustProxy === 'number' ? (_a, hop) => hop < trustProxy : proxyaddr.compile(trustProxy);
  return (request) => proxyaddr(request, trust);
}

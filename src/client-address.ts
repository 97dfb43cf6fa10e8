// The reader's address, believing X-Forwarded-For only from the proxies TRUST_PROXY names: the leftmost
// entry is whatever the client wrote, so it is never taken blindly. Used for per-address limits only;
// addresses are never stored, logged or exported.
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

export type AddressOf = (request: IncomingMessage) => string;

export function addressResolver(trustProxy: boolean | number | string[]): AddressOf {
  const trust: (address: string, hop: number) => boolean =
    trustProxy === false ? () => false : trustProxy === true ? () => true : typeof trustProxy === 'number' ? (_a, hop) => hop < trustProxy : proxyaddr.compile(trustProxy);
  return (request) => proxyaddr(request, trust);
}

// Member identity: tokens signed by the site's backend (JWT, HS256 only) prove a reader is logged in.
// The member id never reaches the store in the clear: it is keyed-hashed per site, so Redis holds no
// e-mail addresses or CMS user ids even when a site puts them in `sub`.
import { createHmac } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { Site } from './sites.js';

const ALGORITHM = 'HS256';
const TICKET_TYPE = 'hc-ticket+jwt';

export class MemberTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MemberTokenError';
  }
}

const keys = new WeakMap<Site, Uint8Array>();

function keyOf(site: Site): Uint8Array {
  let key = keys.get(site);
  if (!key) {
    key = new TextEncoder().encode(site.memberSecret);
    keys.set(site, key);
  }
  return key;
}

function reason(error: unknown, what: string): MemberTokenError {
  if (error instanceof errors.JWTExpired) return new MemberTokenError(`${what} expired`);
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new MemberTokenError(error.claim === 'aud' ? `${what} is for another site` : `${what} claim "${error.claim}" invalid`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new MemberTokenError(`${what} algorithm not allowed (use HS256)`);
  if (error instanceof errors.JWSSignatureVerificationFailed) return new MemberTokenError(`${what} signature invalid`);
  return new MemberTokenError(`${what} malformed`);
}

function memberIdentity(site: Site, memberId: string): string {
  return createHmac('sha256', keyOf(site)).update(`member:${memberId}`).digest('base64url').slice(0, 22);
}

/** Verifies a member token for this site and returns the member's pseudonymous identity. Tokens must be
 * short-lived: one that stays valid longer than maxLifetimeMs from now is refused, so a leaked token soon dies. */
export async function verifyMemberToken(site: Site, token: string, now: number, maxLifetimeMs: number): Promise<string> {
  let payload;
  let header;
  try {
    ({ payload, protectedHeader: header } = await jwtVerify(token, keyOf(site), {
      algorithms: [ALGORITHM],
      audience: site.id,
      requiredClaims: ['sub', 'exp'],
      currentDate: new Date(now),
    }));
  } catch (error) {
    throw reason(error, 'member token');
  }
  if (header.typ === TICKET_TYPE) throw new MemberTokenError('member token malformed (a resume ticket is not a member token)');
  if (payload.exp! * 1000 - now > maxLifetimeMs) {
    throw new MemberTokenError(`member token lifetime too long (expire within ${Math.round(maxLifetimeMs / 1000)} s)`);
  }
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 256) {
    throw new MemberTokenError('member token claim "sub" invalid');
  }
  return memberIdentity(site, payload.sub);
}

/** A ticket that lets this page session reconnect as the same member after the short-lived token expired. */
export function issueTicket(site: Site, identity: string, psid: string, now: number, ttlMs: number): Promise<string> {
  return new SignJWT({ psid })
    .setProtectedHeader({ alg: ALGORITHM, typ: TICKET_TYPE })
    .setSubject(identity)
    .setAudience(site.id)
    .setExpirationTime(Math.floor((now + ttlMs) / 1000))
    .sign(keyOf(site));
}

/** Returns the member identity a ticket was issued for; the ticket only resumes the page session it names. */
export async function verifyTicket(site: Site, ticket: string, psid: string, now: number): Promise<string> {
  let payload;
  try {
    ({ payload } = await jwtVerify(ticket, keyOf(site), {
      algorithms: [ALGORITHM],
      audience: site.id,
      typ: TICKET_TYPE,
      requiredClaims: ['sub', 'exp'],
      currentDate: new Date(now),
    }));
  } catch (error) {
    throw reason(error, 'resume ticket');
  }
  if (payload.psid !== psid) throw new MemberTokenError('resume ticket is for another page session');
  return payload.sub!;
}

// Member identity: tokens signed by the site's backend (JWT, HS256 only) prove a reader is logged in.
// The member id never reaches the store in the clear: it is keyed-hashed per site, so Redis holds no
// e-mail addresses or CMS user ids even when a site puts them in `sub`.
// A member session (the token, then the resume tickets that replace it) ends at a deadline fixed when the
// token is verified: tickets carry it as `dl` and reissues never move it, so a leaked token or ticket
// keeps an identity counted as a member for a bounded time only.
import { createHmac } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Site } from './sites.js';

const ALGORITHM = 'HS256';
const TICKET_TYPE = 'hc-ticket+jwt';
const MAX_SUBJECT = 256;

export class MemberTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MemberTokenError';
  }
}

export interface MemberRules {
  /** A token that stays valid longer than this from now is refused, so a leaked token soon dies. */
  maxLifetimeMs: number;
  /** Clock difference tolerated between the site's backend and Headcount, for `exp`, `nbf` and `iat`. */
  leewayMs: number;
  /** A member session ends this long after its token was verified, however often its ticket is renewed. */
  sessionMaxMs: number;
}

/** Who the member is (pseudonymous) and when their member session ends (ms since 1970). */
export interface Membership {
  identity: string;
  deadline: number;
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

type What = 'member token' | 'resume ticket';

function reason(error: unknown, what: What): MemberTokenError {
  if (error instanceof errors.JWTExpired) return new MemberTokenError(`${what} expired`);
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return new MemberTokenError(`${what} claim "${error.claim}" missing`);
    if (error.reason === 'check_failed') {
      if (error.claim === 'aud') return new MemberTokenError(`${what} is for another site`);
      if (error.claim === 'nbf') return new MemberTokenError(`${what} not valid yet (claim "nbf")`);
      if (error.claim === 'typ') return new MemberTokenError('resume ticket malformed (a member token is not a resume ticket)');
    }
    return new MemberTokenError(`${what} claim "${error.claim}" invalid`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new MemberTokenError(`${what} algorithm not allowed (use HS256)`);
  if (error instanceof errors.JWSSignatureVerificationFailed) return new MemberTokenError(`${what} signature invalid`);
  return new MemberTokenError(`${what} malformed`);
}

// The deadline is Headcount's own claim: no leeway, so a renewed ticket can never outlive it.
const pastDeadline = (payload: JWTPayload, now: number) => typeof payload.dl === 'number' && payload.dl * 1000 <= now;
const sessionOver = () => new MemberTokenError('resume ticket expired (member session limit reached)');

async function verify(site: Site, jwt: string, what: What, now: number, leewayMs: number, required: string[]) {
  try {
    return await jwtVerify(jwt, keyOf(site), {
      algorithms: [ALGORITHM],
      audience: site.id,
      requiredClaims: required,
      currentDate: new Date(now),
      clockTolerance: Math.floor(leewayMs / 1000),
      ...(what === 'resume ticket' ? { typ: TICKET_TYPE } : {}),
    });
  } catch (error) {
    if (what === 'resume ticket' && error instanceof errors.JWTExpired && pastDeadline(error.payload, now)) throw sessionOver();
    throw reason(error, what);
  }
}

function memberIdentity(site: Site, memberId: string): string {
  return createHmac('sha256', keyOf(site)).update(`member:${memberId}`).digest('base64url').slice(0, 22);
}

/** Verifies a member token for this site: the member's pseudonymous identity and the deadline of the
 * member session it opens (now + rules.sessionMaxMs, in whole seconds). */
export async function verifyMemberToken(site: Site, token: string, now: number, rules: MemberRules): Promise<Membership> {
  const { payload, protectedHeader } = await verify(site, token, 'member token', now, rules.leewayMs, ['sub', 'aud', 'exp']);
  if (protectedHeader.typ === TICKET_TYPE) throw new MemberTokenError('member token malformed (a resume ticket is not a member token)');
  // jose checks `iat` only against a maximum age; one from the future means a wrong clock or a forged claim.
  if (payload.iat !== undefined && payload.iat * 1000 > now + rules.leewayMs) throw new MemberTokenError('member token claim "iat" in the future');
  if (payload.exp! * 1000 - now > rules.maxLifetimeMs + rules.leewayMs) {
    throw new MemberTokenError(`member token lifetime too long (expire within ${Math.round(rules.maxLifetimeMs / 1000)} s)`);
  }
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > MAX_SUBJECT) {
    throw new MemberTokenError('member token claim "sub" invalid');
  }
  return { identity: memberIdentity(site, payload.sub), deadline: Math.floor((now + rules.sessionMaxMs) / 1000) * 1000 };
}

/** A ticket that lets this page session reconnect as the same member after the short-lived token expired.
 * It expires after ttlMs or at the member session's deadline, whichever comes first. */
export function issueTicket(site: Site, membership: Membership, psid: string, now: number, ttlMs: number): Promise<string> {
  const deadline = Math.floor(membership.deadline / 1000);
  return new SignJWT({ psid, dl: deadline })
    .setProtectedHeader({ alg: ALGORITHM, typ: TICKET_TYPE })
    .setSubject(membership.identity)
    .setAudience(site.id)
    .setExpirationTime(Math.min(Math.floor((now + ttlMs) / 1000), deadline))
    .sign(keyOf(site));
}

/** The membership a ticket carries; the ticket only resumes the page session it names, and never past
 * its member session's deadline. */
export async function verifyTicket(site: Site, ticket: string, psid: string, now: number, leewayMs: number): Promise<Membership> {
  const { payload } = await verify(site, ticket, 'resume ticket', now, leewayMs, ['sub', 'aud', 'exp', 'psid', 'dl']);
  if (typeof payload.dl !== 'number' || !Number.isSafeInteger(payload.dl)) throw new MemberTokenError('resume ticket claim "dl" invalid');
  if (pastDeadline(payload, now)) throw sessionOver();
  if (payload.psid !== psid) throw new MemberTokenError('resume ticket is for another page session');
  return { identity: payload.sub!, deadline: payload.dl * 1000 };
}

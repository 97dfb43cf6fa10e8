import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT, UnsecuredJWT, decodeJwt, type JWTPayload } from 'jose';
import { issueTicket, MemberTokenError, verifyMemberToken, verifyTicket, type MemberRules } from '../src/members.js';
import { DEMO_SITE, parseSites } from '../src/sites.js';

const now = Date.UTC(2026, 10, 26, 9, 0, 0);
const s = Math.floor(now / 1000);
const rules: MemberRules = { maxLifetimeMs: 15 * 60_000, leewayMs: 30_000, sessionMaxMs: 12 * 3600_000 };
const TICKET_TTL = 30 * 60_000;
const key = new TextEncoder().encode(DEMO_SITE.memberSecret);
const other = parseSites({ sites: [{ id: 'other', origins: ['https://other.vn'], memberSecret: 'y'.repeat(40) }] }).get('other')!;

type Claims = { sub?: string; aud?: string; exp?: number; nbf?: number; iat?: number };

/** A member token; a claim given as undefined in `omit` is left out. */
function token(claims: Claims = {}, secret = key, alg = 'HS256', omit: Array<keyof Claims> = []): Promise<string> {
  const payload: JWTPayload = { sub: 'reader-42', aud: 'demo', iat: s, exp: s + 300, ...claims };
  for (const claim of omit) delete payload[claim];
  if (payload.sub === '') delete payload.sub;
  return new SignJWT(payload).setProtectedHeader({ alg }).sign(secret);
}

async function refused(promise: Promise<unknown>, reason: string | RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof MemberTokenError, `expected a MemberTokenError, got ${String(error)}`);
    if (typeof reason === 'string') assert.equal(error.message, reason);
    else assert.match(error.message, reason);
    return true;
  });
}

describe('member tokens', () => {
  it('gives one stable pseudonymous identity per member and site', async () => {
    const a = await verifyMemberToken(DEMO_SITE, await token(), now, rules);
    const b = await verifyMemberToken(DEMO_SITE, await token({ exp: s + 60 }), now, rules);
    assert.equal(a.identity, b.identity);
    assert.doesNotMatch(a.identity, /reader-42/);
    assert.notEqual(a.identity, (await verifyMemberToken(DEMO_SITE, await token({ sub: 'reader-43' }), now, rules)).identity);
  });

  it('refuses expired, forged, wrong-site, alg:none, other-algorithm and subject-less tokens', async () => {
    await refused(verifyMemberToken(DEMO_SITE, await token({ exp: s - 31 }), now, rules), 'member token expired');
    await refused(verifyMemberToken(DEMO_SITE, await token({}, new TextEncoder().encode('z'.repeat(41))), now, rules), 'member token signature invalid');
    await refused(verifyMemberToken(DEMO_SITE, await token({ aud: 'other' }), now, rules), 'member token is for another site');
    await refused(verifyMemberToken(other, await token({ aud: 'other' }), now, rules), 'member token signature invalid');
    const none = new UnsecuredJWT({}).setSubject('reader-42').setAudience('demo').setExpirationTime(s + 60).encode();
    await refused(verifyMemberToken(DEMO_SITE, none, now, rules), 'member token algorithm not allowed (use HS256)');
    await refused(verifyMemberToken(DEMO_SITE, await token({}, key, 'HS512'), now, rules), 'member token algorithm not allowed (use HS256)');
    await refused(verifyMemberToken(DEMO_SITE, await token({ sub: '' }), now, rules), 'member token claim "sub" missing');
    await refused(verifyMemberToken(DEMO_SITE, await token({ sub: 'x'.repeat(257) }), now, rules), 'member token claim "sub" invalid');
    await refused(verifyMemberToken(DEMO_SITE, 'not.a.token', now, rules), 'member token malformed');
    await refused(verifyMemberToken(DEMO_SITE, await token({ exp: s + 24 * 3600 }), now, rules), 'member token lifetime too long (expire within 900 s)');
  });

  it('tolerates the configured clock difference on exp, nbf and iat, and no more', async () => {
    // The site's backend runs a few seconds ahead of Headcount (or behind).
    assert.ok(await verifyMemberToken(DEMO_SITE, await token({ nbf: s + 2, iat: s + 2 }), now, rules));
    assert.ok(await verifyMemberToken(DEMO_SITE, await token({ nbf: s + 30, iat: s + 30, exp: s + 30 + 900 }), now, rules));
    assert.ok(await verifyMemberToken(DEMO_SITE, await token({ exp: s - 29 }), now, rules));
    await refused(verifyMemberToken(DEMO_SITE, await token({ nbf: s + 31 }), now, rules), 'member token not valid yet (claim "nbf")');
    await refused(verifyMemberToken(DEMO_SITE, await token({ iat: s + 31 }), now, rules), 'member token claim "iat" in the future');
    await refused(verifyMemberToken(DEMO_SITE, await token({ exp: s - 31 }), now, rules), 'member token expired');
    await refused(verifyMemberToken(DEMO_SITE, await token({ exp: s + 900 + 31 }), now, rules), /lifetime too long/);
    const strict = { ...rules, leewayMs: 0 };
    await refused(verifyMemberToken(DEMO_SITE, await token({ nbf: s + 2 }), now, strict), 'member token not valid yet (claim "nbf")');
  });

  it('names a missing claim instead of calling the token one for another site', async () => {
    await refused(verifyMemberToken(DEMO_SITE, await token({}, key, 'HS256', ['aud']), now, rules), 'member token claim "aud" missing');
    await refused(verifyMemberToken(DEMO_SITE, await token({}, key, 'HS256', ['exp']), now, rules), 'member token claim "exp" missing');
    assert.ok(await verifyMemberToken(DEMO_SITE, await token({}, key, 'HS256', ['iat']), now, rules), 'iat is optional');
    const badType = await new SignJWT({ sub: 'r', aud: 'demo', exp: 'soon' as unknown as number }).setProtectedHeader({ alg: 'HS256' }).sign(key);
    await refused(verifyMemberToken(DEMO_SITE, badType, now, rules), 'member token claim "exp" invalid');
  });
});

describe('resume tickets', () => {
  it('keep the member for their own page session only', async () => {
    const membership = await verifyMemberToken(DEMO_SITE, await token(), now, rules);
    const ticket = await issueTicket(DEMO_SITE, membership, 'page-session-1', now, TICKET_TTL);
    assert.deepEqual(await verifyTicket(DEMO_SITE, ticket, 'page-session-1', now + 20 * 60_000, rules.leewayMs), membership);
    await refused(verifyTicket(DEMO_SITE, ticket, 'page-session-2', now, rules.leewayMs), 'resume ticket is for another page session');
    await refused(verifyTicket(DEMO_SITE, ticket, 'page-session-1', now + 31 * 60_000, rules.leewayMs), 'resume ticket expired');
    await refused(verifyMemberToken(DEMO_SITE, ticket, now, rules), 'member token malformed (a resume ticket is not a member token)');
    await refused(verifyTicket(DEMO_SITE, await token(), 'page-session-1', now, rules.leewayMs), 'resume ticket malformed (a member token is not a resume ticket)');
  });

  it('carry the deadline set when the token was verified, and renewals never extend it', async () => {
    const membership = await verifyMemberToken(DEMO_SITE, await token(), now, rules);
    assert.equal(membership.deadline, now + rules.sessionMaxMs);
    // Renew every 25 minutes, as a page that reconnects (or navigates) keeps doing.
    let ticket = await issueTicket(DEMO_SITE, membership, 'page-session-1', now, TICKET_TTL);
    let at = now;
    for (;;) {
      at += 25 * 60_000;
      if (at >= membership.deadline) break;
      const renewed = await verifyTicket(DEMO_SITE, ticket, 'page-session-1', at, rules.leewayMs);
      assert.equal(renewed.deadline, membership.deadline);
      ticket = await issueTicket(DEMO_SITE, renewed, 'page-session-1', at, TICKET_TTL);
      assert.ok(decodeJwt(ticket).exp! * 1000 <= membership.deadline, 'a ticket never outlives its member session');
    }
    await refused(verifyTicket(DEMO_SITE, ticket, 'page-session-1', at, rules.leewayMs), 'resume ticket expired (member session limit reached)');
    await refused(verifyTicket(DEMO_SITE, ticket, 'page-session-1', membership.deadline, rules.leewayMs), 'resume ticket expired (member session limit reached)');
  });

  it('refuse a ticket without a deadline (issued before deadlines existed, or forged without one)', async () => {
    const old = await new SignJWT({ psid: 'page-session-1' })
      .setProtectedHeader({ alg: 'HS256', typ: 'hc-ticket+jwt' })
      .setSubject('identity')
      .setAudience('demo')
      .setExpirationTime(s + 600)
      .sign(key);
    await refused(verifyTicket(DEMO_SITE, old, 'page-session-1', now, rules.leewayMs), 'resume ticket claim "dl" missing');
  });
});

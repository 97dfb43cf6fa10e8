import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { issueTicket, MemberTokenError, verifyMemberToken, verifyTicket } from '../src/members.js';
import { DEMO_SITE, parseSites } from '../src/sites.js';

const now = Date.UTC(2026, 10, 26, 9, 0, 0);
const MAX_LIFETIME = 15 * 60_000;
const key = new TextEncoder().encode(DEMO_SITE.memberSecret);
const other = parseSites({ sites: [{ id: 'other', origins: ['https://other.vn'], memberSecret: 'y'.repeat(40) }] }).get('other')!;

function token(claims: { sub?: string; aud?: string; exp?: number } = {}, secret = key, alg = 'HS256'): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({ alg }).setIssuedAt(Math.floor(now / 1000));
  if (claims.sub !== '') jwt.setSubject(claims.sub ?? 'reader-42');
  jwt.setAudience(claims.aud ?? 'demo');
  jwt.setExpirationTime(claims.exp ?? Math.floor(now / 1000) + 300);
  return jwt.sign(secret);
}

async function refused(promise: Promise<unknown>, reason: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof MemberTokenError && reason.test(error.message));
}

describe('member tokens', () => {
  it('gives one stable pseudonymous identity per member and site', async () => {
    const a = await verifyMemberToken(DEMO_SITE, await token(), now, MAX_LIFETIME);
    const b = await verifyMemberToken(DEMO_SITE, await token({ exp: Math.floor(now / 1000) + 60 }), now, MAX_LIFETIME);
    assert.equal(a, b);
    assert.doesNotMatch(a, /reader-42/);
    assert.notEqual(a, await verifyMemberToken(DEMO_SITE, await token({ sub: 'reader-43' }), now, MAX_LIFETIME));
  });

  it('refuses expired, forged, wrong-site, alg:none, other-algorithm and subject-less tokens', async () => {
    await refused(verifyMemberToken(DEMO_SITE, await token({ exp: Math.floor(now / 1000) - 1 }), now, MAX_LIFETIME), /member token expired/);
    await refused(verifyMemberToken(DEMO_SITE, await token({}, new TextEncoder().encode('z'.repeat(41))), now, MAX_LIFETIME), /signature invalid/);
    await refused(verifyMemberToken(DEMO_SITE, await token({ aud: 'other' }), now, MAX_LIFETIME), /for another site/);
    await refused(verifyMemberToken(other, await token({ aud: 'other' }), now, MAX_LIFETIME), /signature invalid/);
    const none = new UnsecuredJWT({}).setSubject('reader-42').setAudience('demo').setExpirationTime(Math.floor(now / 1000) + 60).encode();
    await refused(verifyMemberToken(DEMO_SITE, none, now, MAX_LIFETIME), /algorithm not allowed/);
    await refused(verifyMemberToken(DEMO_SITE, await token({}, key, 'HS512'), now, MAX_LIFETIME), /algorithm not allowed/);
    await refused(verifyMemberToken(DEMO_SITE, await token({ sub: '' }), now, MAX_LIFETIME), /claim "sub"/);
    await refused(verifyMemberToken(DEMO_SITE, 'not.a.token', now, MAX_LIFETIME), /malformed/);
    await refused(verifyMemberToken(DEMO_SITE, await token({ exp: Math.floor(now / 1000) + 24 * 3600 }), now, MAX_LIFETIME), /lifetime too long \(expire within 900 s\)/);
  });

  it('resume tickets keep the member for their own page session only', async () => {
    const identity = await verifyMemberToken(DEMO_SITE, await token(), now, MAX_LIFETIME);
    const ticket = await issueTicket(DEMO_SITE, identity, 'page-session-1', now, 30 * 60_000);
    assert.equal(await verifyTicket(DEMO_SITE, ticket, 'page-session-1', now + 20 * 60_000), identity);
    await refused(verifyTicket(DEMO_SITE, ticket, 'page-session-2', now), /another page session/);
    await refused(verifyTicket(DEMO_SITE, ticket, 'page-session-1', now + 31 * 60_000), /resume ticket expired/);
    await refused(verifyMemberToken(DEMO_SITE, ticket, now, MAX_LIFETIME), /not a member token/);
    await refused(verifyTicket(DEMO_SITE, await token(), 'page-session-1', now), /resume ticket/);
  });
});

// docs/protocol.md against the code: every refusal reason src/members.ts can give is listed, and the
// facts the document states that no other test pins.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcess } from './support/in-process.js';

const doc = readFileSync(new URL('../docs/protocol.md', import.meta.url), 'utf8');
const source = readFileSync(new URL('../src/members.ts', import.meta.url), 'utf8');

/** Every reason members.ts can build, written as the doc writes them: CLAIM for a claim's name, N for a number. */
function reasons(): string[] {
  const found = new Set<string>();
  const built = [...source.matchAll(/new MemberTokenError\((`[^`]*`|'[^']*')\)/g)];
  assert.equal(built.length, source.split('new MemberTokenError(').length - 1, 'every reason in src/members.ts is one string literal or template');
  for (const [, literal] of built) {
    const text = literal!.slice(1, -1).replace(/\$\{error\.claim\}/g, 'CLAIM').replace(/\$\{Math\.round\([^}]*\)\}/g, 'N');
    const named = text.replace(/claim "[a-z]+" (missing|invalid)/, 'claim "CLAIM" $1');
    for (const what of named.includes('${what}') ? ['member token', 'resume ticket'] : ['']) found.add(named.replace('${what}', what));
  }
  return [...found];
}

describe('docs/protocol.md', () => {
  it('lists every member token and ticket refusal reason the server gives', () => {
    const all = reasons();
    assert.ok(all.length >= 15, `found ${all.length} reasons in src/members.ts`);
    for (const reason of all) {
      assert.doesNotMatch(reason, /\$\{/, `an unexpanded template in src/members.ts: ${reason}`);
      assert.ok(doc.includes(`\`${reason}\``), `docs/protocol.md does not list the reason \`${reason}\``);
    }
  });

  it('lists the close reasons of the live pages rules', () => {
    const connection = readFileSync(new URL('../src/transport/connection.ts', import.meta.url), 'utf8');
    for (const reason of ['eng before hello', 'readers before hello', 'more than one eng message per 5 s', 'live view of this site needs its read token']) {
      assert.ok(connection.includes(`'${reason}'`), `src/transport/connection.ts gives \`${reason}\``);
      assert.ok(doc.includes(`\`${reason}\``), `docs/protocol.md does not list the reason \`${reason}\``);
    }
    assert.match(doc, /\| 4403 \|/);
  });

  describe('with a server', () => {
    let hc: InProcess;
    before(async () => {
      hc = await startInProcess();
    });
    after(() => hc.stop());

    it('gives peak.at null before anyone was online', async () => {
      assert.match(doc, /`peak\.at` is `null`/);
      assert.deepEqual((await hc.stats()).body.peak, { online: 0, at: null });
    });
  });
});

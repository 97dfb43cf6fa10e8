// The token examples in docs/members.md must make tokens that Headcount accepts.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { verifyMemberToken } from '../src/members.js';
import { DEMO_SITE } from '../src/sites.js';

const rules = { maxLifetimeMs: 15 * 60_000, leewayMs: 30_000, sessionMaxMs: 12 * 3600_000 };
const doc = readFileSync(new URL('../docs/members.md', import.meta.url), 'utf8');

function example(language: string): string {
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(doc);
  assert.ok(match, `docs/members.md has a ${language} example`);
  return match[1]!;
}

async function accepted(token: string): Promise<void> {
  const { identity } = await verifyMemberToken(DEMO_SITE, token.trim(), Date.now(), rules);
  const { identity: reference } = await verifyMemberToken(DEMO_SITE, execFileSync(process.execPath, ['-e', example('js')]).toString().trim(), Date.now(), rules);
  assert.equal(identity, reference, 'same member id gives the same identity');
}

describe('docs/members.md examples', () => {
  it('Node.js example makes an accepted token', async () => {
    await accepted(execFileSync(process.execPath, ['-e', example('js')]).toString());
  });

  const python = spawnSync('python3', ['--version']);
  it('Python example makes an accepted token', { skip: python.status !== 0 ? 'python3 not installed' : false }, async () => {
    await accepted(execFileSync('python3', ['-c', example('python')]).toString());
  });

  const php = spawnSync('php', ['--version']);
  it('PHP example makes an accepted token', { skip: php.status !== 0 ? 'php not installed' : false }, async () => {
    await accepted(execFileSync('php', ['-r', example('php').replace(/^<\?php\n/, '')]).toString());
  });
});

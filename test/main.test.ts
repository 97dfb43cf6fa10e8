// Start-up of the service (src/main.ts) as a child process: a bad setting stops it before any store opens.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startHeadcount } from './support/headcount.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'headcount-main-'));

describe('service start-up', () => {
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  for (const [env, variable] of [
    [{ TRUST_PROXY: '10.0.0.0/99' }, 'TRUST_PROXY'],
    [{ HTTP_HEADERS_TIMEOUT_MS: '60000', HTTP_REQUEST_TIMEOUT_MS: '30000' }, 'HTTP_HEADERS_TIMEOUT_MS'],
  ] as const) {
    it(`stops on ${JSON.stringify(env)} with exit code 2, naming ${variable}, before the store touches DATA_DIR`, () => {
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, ...env },
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`^headcount: configuration error: ${variable}: `));
      assert.deepEqual(readdirSync(dataDir), [], 'no journal, no lock');
    });
  }

  it('names the demo article and its dashboard on the start-up line, under PUBLIC_URL when set', async () => {
    const hc = await startHeadcount();
    try {
      const line = hc.output().split('\n').find((text) => text.startsWith('Headcount listening on'))!;
      assert.match(line, new RegExp(`; demo article: http://127\\.0\\.0\\.1:${hc.port}/, dashboard: http://127\\.0\\.0\\.1:${hc.port}/dashboard/demo$`));
      const dashboard = await fetch(`${hc.url}/dashboard/demo`);
      assert.equal(dashboard.status, 200, 'the address it names answers');
    } finally {
      await hc.dispose();
    }
    const behindProxy = await startHeadcount({ env: { PUBLIC_URL: 'https://stats.example.vn/' } });
    try {
      assert.match(behindProxy.output(), /; demo article: https:\/\/stats\.example\.vn\/, dashboard: https:\/\/stats\.example\.vn\/dashboard\/demo\n/);
    } finally {
      await behindProxy.dispose();
    }
  });
});

// METRICS_TOKEN: /metrics wants the bearer token when one is configured, with a JSON 401 otherwise.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startInProcess, type InProcess } from '../support/in-process.js';

const METRICS_TOKEN = 'metrics-token-0123456789';

describe('METRICS_TOKEN', () => {
  let hc: InProcess;
  let url: string;
  const get = (authorization?: string) => fetch(url, authorization ? { headers: { authorization } } : {});

  before(async () => {
    hc = await startInProcess({ METRICS_TOKEN });
    url = `http://127.0.0.1:${hc.server.port}/metrics`;
  });
  after(() => hc.stop());

  it('refuses a scrape without the token, or with a wrong one, with a JSON 401', async () => {
    for (const authorization of [undefined, `Bearer ${METRICS_TOKEN}x`, `Basic ${METRICS_TOKEN}`, 'Bearer ']) {
      const res = await get(authorization);
      assert.equal(res.status, 401, `Authorization: ${authorization}`);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer');
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.match(((await res.json()) as { error: string }).error, /METRICS_TOKEN/);
    }
  });

  it('serves the metrics with the token', async () => {
    const res = await get(`Bearer ${METRICS_TOKEN}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await res.text(), /^headcount_online_visitors\{site="demo",kind="guest"\} 0$/m);
  });

  it('leaves the other routes alone', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${hc.server.port}/healthz`)).status, 200);
    assert.equal((await hc.stats()).status, 200);
  });

  it('is refused at start-up when too short to be a secret', () => {
    assert.throws(() => loadConfig({ METRICS_TOKEN: 'short' }), (error: unknown) => error instanceof ConfigError && error.variable === 'METRICS_TOKEN');
    assert.equal(loadConfig({}).metricsToken, undefined);
    assert.equal(loadConfig({ METRICS_TOKEN }).metricsToken, METRICS_TOKEN);
  });
});

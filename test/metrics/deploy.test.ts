// The deployment files as Docker and Prometheus would read them (no Docker engine needed):
// the compose file validates, Prometheus's config passes promtool, and the pieces name each other right.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DASHBOARD, ROOT, run } from './support.js';

const PROMETHEUS_CONFIG = 'deploy/prometheus/prometheus.yml';
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('deployment files', () => {
  it('docker-compose.yml passes `docker-compose config -q`', async () => {
    const { code, stderr } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q']);
    assert.equal(code, 0, stderr);
  });

  it(`${PROMETHEUS_CONFIG} passes \`promtool check config\``, async () => {
    const { code, stdout, stderr } = await run('promtool', ['check', 'config', PROMETHEUS_CONFIG]);
    assert.equal(code, 0, `${stdout}${stderr}`);
  });

  it('Prometheus scrapes every Headcount replica of the compose file, and the proxy serves them all', async () => {
    const { code, stdout, stderr } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config', '--services']);
    assert.equal(code, 0, stderr);
    const replicas = stdout.split('\n').filter((name) => name.startsWith('headcount'));
    assert.ok(replicas.length >= 1, `no headcount service in docker-compose.yml: ${stdout}`);
    const expected = replicas.map((name) => `${name}:8080`).sort();
    const job = read(PROMETHEUS_CONFIG).split(/^\s*- job_name:/m).find((part) => part.trim().startsWith('headcount'));
    assert.ok(job, 'no headcount job in the Prometheus config');
    assert.deepEqual([...job.matchAll(/^\s*- ([\w.-]+:\d+)\s*$/gm)].map((m) => m[1]).sort(), expected);
    const upstream = [...read('deploy/nginx/headcount.conf').matchAll(/^\s*server ([\w.-]+:\d+);/gm)].map((m) => m[1]).sort();
    assert.deepEqual(upstream, expected);
  });

  it('the dashboard names the datasource Grafana is provisioned with', () => {
    const dir = 'deploy/grafana/provisioning/datasources';
    const uids = readdirSync(join(ROOT, dir)).flatMap((file) => [...read(join(dir, file)).matchAll(/^\s*uid:\s*(\S+)/gm)].map((m) => m[1]));
    const used = new Set<string>();
    JSON.parse(readFileSync(DASHBOARD, 'utf8'), (key, value: { uid?: string }) => {
      if (key === 'datasource' && value.uid) used.add(value.uid);
      return value;
    });
    assert.ok(used.size > 0);
    for (const uid of used) assert.ok(uids.includes(uid), `the dashboard uses datasource uid "${uid}", provisioned: ${uids.join(', ')}`);
  });
});

// A real Prometheus (Debian's /usr/bin/prometheus) scrapes a running Headcount every second,
// with METRICS_TOKEN as its bearer credentials, and its query API sees what the test's pages did.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHeadcount, type HeadcountProcess } from '../support/headcount.js';
import { PageClient } from '../support/page-client.js';
import { freePort } from '../support/free-port.js';
import { dashboardQueries, notInstalled, openPages } from './support.js';

const METRICS_TOKEN = 'prometheus-test-metrics-token';
const DEADLINE_MS = 20_000;
/** What Grafana's $__rate_interval becomes at a 1 s scrape interval: several scrapes. */
const RATE_INTERVAL = '10s';

interface Prometheus {
  url: string;
  stop(): Promise<void>;
}

/** Another process may take the free port before Prometheus binds it: try a few. */
async function startPrometheus(dir: string, target: string): Promise<Prometheus> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchPrometheus(dir, target);
    } catch (error) {
      if (attempt === 3 || !String(error).includes('address already in use')) throw error;
    }
  }
}

async function launchPrometheus(dir: string, target: string): Promise<Prometheus> {
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: headcount',
      '    authorization:',
      `      credentials: ${METRICS_TOKEN}`,
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const args = [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, `data-${port}`)}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'];
  const child: ChildProcess = spawn('prometheus', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? notInstalled('prometheus') : error));
    child.once('exit', (code) => reject(new Error(`prometheus exited with ${code} while starting:\n${log}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const ready = (async () => {
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const ok = await fetch(`${url}/-/ready`).then((res) => res.ok, () => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`prometheus not ready within ${DEADLINE_MS} ms:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    await Promise.race([ready, failed]);
  } catch (error) {
    await stop();
    throw error;
  }
  failed.catch(() => undefined); // exits after this point are the stop() the test asked for
  return { url, stop };
}

interface QueryResult {
  metric: Record<string, string>;
  value: [number, string];
}

describe('Prometheus scraping Headcount', () => {
  let dir: string;
  let hc: HeadcountProcess;
  let prometheus: Prometheus | undefined;
  let pages: PageClient[] = [];

  const query = async (promql: string): Promise<QueryResult[]> => {
    const res = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: QueryResult[] } };
    if (body.status !== 'success') throw new Error(`query ${promql} failed: ${body.error}`);
    return body.data!.result;
  };
  /** Polls a query until `check` passes on its result, up to the deadline. */
  const until = async (promql: string, check: (result: QueryResult[]) => boolean): Promise<QueryResult[]> => {
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const result = await query(promql);
      if (check(result)) return result;
      if (Date.now() > deadline) throw new Error(`${promql} still ${JSON.stringify(result)} after ${DEADLINE_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'headcount-prometheus-'));
    hc = await startHeadcount({ env: { METRICS_TOKEN } });
    prometheus = await startPrometheus(dir, `127.0.0.1:${hc.port}`);
  });
  after(async () => {
    for (const page of pages) page.socket.terminate();
    await prometheus?.stop();
    await hc?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns the online count the pages created, and follows it down', async () => {
    pages = await openPages(hc.wsUrl, 3);
    const online = 'headcount_online_visitors{site="demo",kind="guest"}';
    await until(online, (result) => result.length === 1 && result[0]!.value[1] === '3');
    await pages.pop()!.close();
    await until(online, (result) => result[0]?.value[1] === '2');
    const [up] = await query('up{job="headcount"}');
    assert.equal(up?.value[1], '1', 'the scrape with METRICS_TOKEN succeeds');
  });

  it('answers every dashboard query with data', async () => {
    for (const { where, expr } of dashboardQueries()) {
      const promql = expr.replaceAll('$__rate_interval', RATE_INTERVAL).replaceAll('$site', 'demo');
      await until(promql, (result) => result.length > 0).catch((error: Error) => assert.fail(`${where}: ${error.message}`));
    }
  });
});

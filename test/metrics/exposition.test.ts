// Real /metrics output of the service as users run it (src/main.ts), with page sessions open:
// promtool's lint is clean, labels stay bounded, and the dashboard queries only what is exposed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SOURCES } from '../../src/audience/source.js';
import { REJECT_REASONS, STORE_COMMANDS } from '../../src/metrics/metrics.js';
import { startHeadcount, type HeadcountProcess } from '../support/headcount.js';
import { PageClient } from '../support/page-client.js';
import { dashboardQueries, metricNamesIn, openPages, parseSamples, run, scrape, valueOf } from './support.js';

describe('/metrics exposition', () => {
  let hc: HeadcountProcess;
  let pages: PageClient[] = [];
  let exposition: string;

  before(async () => {
    hc = await startHeadcount();
    pages = [...(await openPages(hc.wsUrl, 2)), ...(await openPages(hc.wsUrl, 1, { bot: true }))];
    // Refused at the upgrade: counted by reason, and no series for the unknown site.
    await assert.rejects(PageClient.open(hc.wsUrl, 'nope'), /HTTP 404/);
    exposition = await scrape(hc.url);
  });
  after(async () => {
    for (const page of pages) page.socket.terminate();
    await hc?.dispose();
  });

  it('passes `promtool check metrics`', async () => {
    const { code, stdout, stderr } = await run('promtool', ['check', 'metrics'], exposition);
    assert.equal(`${stdout}${stderr}`.trim(), '', 'promtool found problems');
    assert.equal(code, 0);
  });

  it('reports the figures the pages created, per site and per instance', () => {
    const samples = parseSamples(exposition);
    assert.equal(valueOf(samples, 'headcount_online_visitors', { site: 'demo', kind: 'guest' }), 2);
    assert.equal(valueOf(samples, 'headcount_online_visitors', { site: 'demo', kind: 'bot' }), 1);
    assert.equal(valueOf(samples, 'headcount_online_visitors', { site: 'demo', kind: 'member' }), 0);
    assert.equal(valueOf(samples, 'headcount_pageviews_total', { site: 'demo' }), 2, 'bots count no pageview');
    assert.equal(valueOf(samples, 'headcount_open_sockets'), 3);
    assert.equal(valueOf(samples, 'headcount_sessions_admitted_total', { site: 'demo' }), 3);
    assert.equal(valueOf(samples, 'headcount_messages_received_total', { type: 'hello' }), 3);
    assert.equal(valueOf(samples, 'headcount_sessions_rejected_total', { reason: 'unknown_site' }), 1);
    assert.equal(valueOf(samples, 'headcount_store_up'), 1);
    assert.equal(valueOf(samples, 'headcount_engaged_visitors', { site: 'demo' }), 2, 'visible pages are engaged at arrival; bots never');
    assert.equal(valueOf(samples, 'headcount_online_by_source', { site: 'demo', source: 'direct' }), 2, 'no referrer: direct; bots never');
    for (const source of SOURCES.filter((s) => s !== 'direct')) assert.equal(valueOf(samples, 'headcount_online_by_source', { site: 'demo', source }), 0, source);
    assert.ok(valueOf(samples, 'headcount_store_command_duration_seconds_count', { command: 'join' }) >= 3);
    assert.ok(valueOf(samples, 'process_resident_memory_bytes') > 0, 'default process metrics');
    assert.ok(samples.some((s) => s.name === 'nodejs_eventloop_lag_p99_seconds'), 'default Node.js metrics');
  });

  it('keeps label values bounded: configured sites, fixed reasons and commands only', () => {
    // Only Headcount's own series: prom-client's GC histogram has a `kind` label of its own.
    const samples = parseSamples(exposition).filter((s) => s.name.startsWith('headcount_'));
    const values = (label: string) => new Set(samples.flatMap((s) => (s.labels[label] === undefined ? [] : [s.labels[label]])));
    assert.deepEqual([...values('site')], ['demo']);
    assert.deepEqual([...values('reason')].sort(), [...REJECT_REASONS].sort());
    assert.deepEqual([...values('command')].sort(), [...STORE_COMMANDS].sort());
    assert.deepEqual([...values('kind')].sort(), ['bot', 'guest', 'member']);
    assert.deepEqual([...values('source')].sort(), [...SOURCES].sort());
    // Never a page URL, title or referrer: the pages' URL is http://localhost:3000/bai-viet.html.
    for (const sample of samples) {
      for (const value of Object.values(sample.labels)) assert.doesNotMatch(value, /localhost|bai-viet|\//, `${sample.name} has label value ${value}`);
    }
  });

  it('exposes every metric the Grafana dashboard queries', () => {
    const exposed = new Set(parseSamples(exposition).map((s) => s.name));
    const queries = dashboardQueries();
    assert.ok(queries.length >= 10, `the dashboard has only ${queries.length} queries`);
    for (const { where, expr } of queries) {
      const names = metricNamesIn(expr);
      assert.ok(names.length > 0, `${where}: no metric name found in ${expr}`);
      for (const name of names) assert.ok(exposed.has(name), `${where} queries ${name}, which /metrics does not expose (${expr})`);
    }
  });
});

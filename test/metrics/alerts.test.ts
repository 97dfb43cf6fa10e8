// The alerting rules as Prometheus and Alertmanager would read them: promtool checks and unit-tests
// every rule (deploy/prometheus/alerts.test.yml), the rules query only what a real /metrics exposes,
// amtool checks the shipped Alertmanager config and the Slack/e-mail example of docs/operations.md,
// and both route each severity the rules use.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startHeadcount } from '../support/headcount.js';
import { metricNamesIn, parseSamples, ROOT, run, scrape } from './support.js';

const RULES = 'deploy/prometheus/alerts.yml';
const RULE_TESTS = 'deploy/prometheus/alerts.test.yml';
const ALERTMANAGER_CONFIG = 'deploy/alertmanager/alertmanager.yml';
const OPERATIONS_DOC = 'docs/operations.md';
/** Who hears about each severity, in the shipped config and in the documented example alike. */
const RECEIVER_OF_SEVERITY: Record<string, string> = { page: 'on-call', ticket: 'operators', info: 'newsroom' };
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const alertNames = () => [...read(RULES).matchAll(/^\s*- alert: (\w+)$/gm)].map((m) => m[1]!);
const severities = () => new Set([...read(RULES).matchAll(/^\s*severity: (\w+)$/gm)].map((m) => m[1]!));
/** Series that Prometheus makes itself (`up`) or that the rules record. */
const NOT_SCRAPED = /^(up|\w*:\w+:\w+)$/;

/** Every `expr:` of the rules file, one-line or block (`expr: |`), PromQL comments left out. */
function ruleExpressions(): string[] {
  const lines = read(RULES).split('\n');
  const exprs: string[] = [];
  lines.forEach((line, i) => {
    const match = /^(\s*)expr: (.*)$/.exec(line);
    if (!match) return;
    const body: string[] = [];
    if (match[2] !== '|') body.push(match[2]!);
    else for (let j = i + 1; lines[j]?.startsWith(`${match[1]}  `); j++) body.push(lines[j]!);
    exprs.push(body.map((l) => l.replace(/#.*$/, '')).join('\n'));
  });
  return exprs;
}

/** The first yaml block of the docs section on routing alerts: a complete alertmanager.yml. */
function documentedAlertmanagerConfig(): string {
  const section = read(OPERATIONS_DOC).split(/^### /m).find((part) => part.startsWith('Routing alerts'));
  assert.ok(section, `no "### Routing alerts…" section in ${OPERATIONS_DOC}`);
  const block = /^```yaml\n([\s\S]*?)^```$/m.exec(section)?.[1];
  assert.ok(block, `no yaml block in the "Routing alerts" section of ${OPERATIONS_DOC}`);
  return block;
}

async function receiverOf(config: string, labels: Record<string, string>): Promise<string> {
  const args = ['config', 'routes', 'test', `--config.file=${config}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)];
  const { code, stdout, stderr } = await run('amtool', args);
  assert.equal(code, 0, `${stdout}${stderr}`);
  return stdout.trim();
}

describe('alerting rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'headcount-alerts-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const documented = join(dir, 'alertmanager.yml');

  it(`${RULES} passes \`promtool check rules\``, async () => {
    const { code, stdout, stderr } = await run('promtool', ['check', 'rules', RULES]);
    assert.equal(code, 0, `${stdout}${stderr}`);
  });

  it(`every rule passes its unit tests (\`promtool test rules ${RULE_TESTS}\`)`, async () => {
    const { code, stdout, stderr } = await run('promtool', ['test', 'rules', RULE_TESTS]);
    assert.equal(code, 0, `${stdout}${stderr}`);
  });

  it('queries only metrics a real /metrics exposes', async () => {
    const hc = await startHeadcount();
    try {
      const exposed = new Set(parseSamples(await scrape(hc.url)).map((s) => s.name));
      const exprs = ruleExpressions();
      assert.equal(exprs.length, alertNames().length + 1, 'one expression per alert, and the recording rule');
      for (const expr of exprs) {
        const names = metricNamesIn(expr).filter((name) => !NOT_SCRAPED.test(name));
        for (const name of names) assert.ok(exposed.has(name), `${RULES} queries ${name}, which /metrics does not expose (${expr})`);
      }
    } finally {
      await hc.dispose();
    }
  });

  it('every alert has a case where it fires and one where it stays quiet', () => {
    const tests = read(RULE_TESTS);
    for (const name of alertNames()) {
      const cases = [...tests.matchAll(new RegExp(`alertname: ${name}\\n\\s*exp_alerts:(.*)`, 'g'))].map((m) => m[1]!.trim());
      assert.ok(cases.includes('[]'), `${name} has no case where it stays quiet in ${RULE_TESTS}`);
      assert.ok(cases.includes(''), `${name} has no case where it fires in ${RULE_TESTS}`);
    }
  });

  it('the compose stack loads the rules and sends the alerts to its Alertmanager', async () => {
    const config = read('deploy/prometheus/prometheus.yml');
    assert.match(config, /^rule_files:\n\s+- alerts\.yml$/m);
    assert.match(config, /^alerting:[\s\S]*- alertmanager:9093$/m);
    const compose = read('docker-compose.yml');
    assert.ok(compose.includes(`./${RULES}:/etc/prometheus/alerts.yml:ro`), 'docker-compose.yml does not mount the rules next to prometheus.yml');
    assert.ok(compose.includes(`./${ALERTMANAGER_CONFIG}:/etc/alertmanager/alertmanager.yml:ro`), 'docker-compose.yml does not mount the Alertmanager config');
    const { code, stdout, stderr } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config', '--services']);
    assert.equal(code, 0, stderr);
    assert.ok(stdout.split('\n').includes('alertmanager'), `no alertmanager service in docker-compose.yml: ${stdout}`);
  });

  it(`${ALERTMANAGER_CONFIG} and the Slack/e-mail example of ${OPERATIONS_DOC} pass \`amtool check-config\``, async () => {
    writeFileSync(documented, documentedAlertmanagerConfig());
    for (const config of [ALERTMANAGER_CONFIG, documented]) {
      const { code, stdout, stderr } = await run('amtool', ['check-config', config]);
      assert.equal(code, 0, `${config}: ${stdout}${stderr}`);
    }
    const example = readFileSync(documented, 'utf8');
    assert.match(example, /slack_configs:/);
    assert.match(example, /email_configs:/);
  });

  it('both Alertmanager configs route each severity of the rules to its receiver', async () => {
    writeFileSync(documented, documentedAlertmanagerConfig());
    const used = severities();
    assert.deepEqual([...used].sort(), Object.keys(RECEIVER_OF_SEVERITY).sort());
    for (const config of [ALERTMANAGER_CONFIG, documented]) {
      for (const severity of used) {
        assert.equal(await receiverOf(config, { alertname: 'HeadcountTest', severity }), RECEIVER_OF_SEVERITY[severity], `${config}, severity=${severity}`);
      }
    }
  });
});

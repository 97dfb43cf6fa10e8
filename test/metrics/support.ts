// Helpers for the metrics tests: run the monitoring binaries (failing with how to install them),
// read the exposition format, and list the metric names the Grafana dashboard queries.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PageClient } from '../support/page-client.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DASHBOARD = fileURLToPath(new URL('../../deploy/grafana/dashboards/headcount.json', import.meta.url));

/** Debian package of each binary the tests run; CI (.ci/run) installs the missing ones. */
const PACKAGES = { promtool: 'prometheus', prometheus: 'prometheus', amtool: 'prometheus-alertmanager', 'docker-compose': 'docker-compose', nginx: 'nginx' } as const;
type Binary = keyof typeof PACKAGES;
const RUN_TIMEOUT_MS = 30_000;

export function notInstalled(binary: Binary): Error {
  return new Error(`${binary} is not installed: run \`apt-get install -y ${PACKAGES[binary]}\` (.ci/run installs it when missing)`);
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a binary in the repository root to completion, with an optional stdin; killed after RUN_TIMEOUT_MS. */
export function run(binary: Binary, args: string[], input = ''): Promise<RunResult> {
  const child = spawn(binary, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  child.stdin.on('error', () => undefined); // a binary that exits early closes its stdin
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error.code === 'ENOENT' ? notInstalled(binary) : error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Opens `count` page sessions (guests unless `bot`) and waits for each welcome. */
export async function openPages(wsUrl: string, count: number, hello: { bot?: boolean } = {}): Promise<PageClient[]> {
  const pages = await Promise.all(Array.from({ length: count }, () => PageClient.open(wsUrl)));
  await Promise.all(pages.map((page) => page.hello(hello)));
  return pages;
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the sample lines of the text exposition format (label values without escaped quotes). */
export function parseSamples(exposition: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with this name and these labels (among others); throws when absent. */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.find((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value));
  if (!found) throw new Error(`no sample ${name}${JSON.stringify(labels)} in /metrics`);
  return found.value;
}

export async function scrape(baseUrl: string, token?: string): Promise<string> {
  const res = await fetch(`${baseUrl}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${await res.text()}`);
  return res.text();
}

interface DashboardJson {
  panels: { title: string; targets?: { expr?: string }[] }[];
  templating?: { list: { query?: string | { query?: string } }[] };
}

/** Every PromQL query of the dashboard: panel targets and template variable queries. */
export function dashboardQueries(): { where: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as DashboardJson;
  const queries: { where: string; expr: string }[] = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) if (target.expr) queries.push({ where: `panel "${panel.title}"`, expr: target.expr });
  }
  for (const variable of dashboard.templating?.list ?? []) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    // label_values(metric, label): the metric is the first argument.
    const metric = query && /^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(query)?.[1];
    if (metric) queries.push({ where: 'template variable', expr: metric });
  }
  return queries;
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression selects: identifiers that are neither functions, keywords, labels nor durations. */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range and subquery windows
    .replace(/\b\d[\w.]*/g, ' ') // numbers and durations (offset 5m)
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // grouping label lists
  const names = new Set<string>();
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const rest = bare.slice(match.index + match[0].length);
    if (/^\s*\(/.test(rest) || PROMQL_WORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

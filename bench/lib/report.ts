// Figures with their baseline, ratio and target; the printed table, its Markdown twin for
// docs/performance.md, and the JSON results file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Target {
  /** Compare the figure itself (absolute target) or its ratio to the baseline. */
  on: 'value' | 'ratio';
  /** `within`: flat, the ratio no further than `limit` from 1 either way (0.15: 0.85× to 1.15×). */
  op: '>=' | '<=' | 'within';
  limit: number;
}

function meets(compared: number, { op, limit }: Target): boolean {
  if (op === 'within') return Math.abs(compared - 1) <= limit;
  return op === '>=' ? compared >= limit : compared <= limit;
}

function describeTarget({ on, op, limit }: Target): string {
  if (op === 'within') return `1× ± ${Math.round(limit * 100)} %`;
  return `${op === '>=' ? '≥' : '≤'} ${on === 'ratio' ? `${limit}×` : format(limit)}`;
}

export interface Figure {
  name: string;
  value: number | null;
  baseline: number | null;
  /** What the baseline is, e.g. "bare ws, same sockets". */
  baselineName: string;
  ratio: number | null;
  target: string;
  pass: boolean | null;
  /** Setting or caveat printed under the table. */
  note?: string;
}

export interface FigureInput {
  name: string;
  value: number;
  baseline?: number | null;
  baselineName?: string;
  target: Target;
  note?: string;
}

export function figure(input: FigureInput): Figure {
  const baseline = input.baseline ?? null;
  const ratio = baseline === null || baseline === 0 ? null : input.value / baseline;
  const compared = input.target.on === 'value' ? input.value : ratio;
  const pass = compared === null || Number.isNaN(compared) ? false : meets(compared, input.target);
  return {
    name: input.name,
    value: input.value,
    baseline,
    baselineName: input.baselineName ?? '',
    ratio,
    target: describeTarget(input.target),
    pass,
    ...(input.note ? { note: input.note } : {}),
  };
}

/** A figure reported without a target (e.g. Redis bytes per session, for docs/scaling.md's arithmetic). */
export function reported(input: Omit<FigureInput, 'target'>): Figure {
  const baseline = input.baseline ?? null;
  return {
    name: input.name,
    value: input.value,
    baseline,
    baselineName: input.baselineName ?? '',
    ratio: baseline === null || baseline === 0 ? null : input.value / baseline,
    target: 'reported',
    pass: null,
    ...(input.note ? { note: input.note } : {}),
  };
}

/** A figure whose measurement failed: printed as FAIL with the reason. */
export function failed(name: string, target: string, error: unknown): Figure {
  return { name, value: null, baseline: null, baselineName: '', ratio: null, target, pass: false, note: `measurement failed: ${error instanceof Error ? error.message : String(error)}` };
}

export function format(n: number | null): string {
  if (n === null || Number.isNaN(n)) return '—';
  const abs = Math.abs(n);
  if (abs >= 100 || Number.isInteger(n)) return Math.round(n).toLocaleString('en-US');
  if (abs >= 1) return n.toFixed(2);
  return n.toPrecision(2);
}

const HEADER = ['figure', 'Headcount', 'baseline', 'ratio', 'target', 'result'];

function rows(figures: readonly Figure[]): string[][] {
  return figures.map((f) => [
    f.name,
    format(f.value),
    f.baseline === null ? '—' : `${format(f.baseline)} (${f.baselineName})`,
    f.ratio === null ? '—' : `${format(f.ratio)}×`,
    f.target,
    f.pass === null ? '—' : f.pass ? 'PASS' : 'FAIL',
  ]);
}

function notes(figures: readonly Figure[]): string[] {
  return figures.filter((f) => f.note).map((f) => `${f.name}: ${f.note}`);
}

export function textTable(figures: readonly Figure[]): string {
  const table = [HEADER, ...rows(figures)];
  const widths = HEADER.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 || i === 2 || i === 4 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...table.slice(1).map(line), '', ...notes(figures).map((n) => `* ${n}`)].join('\n');
}

export function markdownTable(figures: readonly Figure[]): string {
  const line = (row: string[]) => `| ${row.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(HEADER), `|${HEADER.map(() => '---').join('|')}|`, ...rows(figures).map(line), '', ...notes(figures).map((n) => `- ${n}`)].join('\n');
}

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** Writes bench/results/bench-<time>.json and latest.json; returns the first path. */
export function writeResults(results: object, startedAt: Date): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const path = `${RESULTS_DIR}bench-${stamp}.json`;
  const text = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(path, text);
  writeFileSync(`${RESULTS_DIR}latest.json`, text);
  return path;
}

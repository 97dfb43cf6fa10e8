// The machine a run measured, read at run time: figures mean little without it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  redis: string;
  ws: string;
  openFilesLimit: string;
  /** 1-minute load average when the run began: other work on a shared machine. */
  loadAtStart: number;
}

export function describeMachine(redisVersion: string): Machine {
  const version = (name: string) => (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const files = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    redis: redisVersion,
    ws: version('ws'),
    openFilesLimit: files ? `${files[1]} soft / ${files[2]} hard` : 'unknown',
    loadAtStart: Math.round(loadavg()[0]! * 100) / 100,
  };
}

export function machineLine(m: Machine): string {
  return `${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Linux ${m.kernel}, Node ${m.node}, Redis ${m.redis}, ws ${m.ws}, open files ${m.openFilesLimit}, load ${m.loadAtStart} at start`;
}

// Plain-text output: aligned tables, number formats, PASS/FAIL lines, and the JSON file.

import { mkdir } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export interface Column {
  title: string;
  align?: 'left' | 'right';
}

export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (text: string, i: number): string => {
    const width = widths[i] ?? 0;
    return columns[i]?.align === 'left' ? text.padEnd(width) : text.padStart(width);
  };
  const line = (cells: readonly string[]): string => columns.map((_, i) => cell(cells[i] ?? '', i)).join('  ').trimEnd();
  return [line(columns.map((c) => c.title)), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Milliseconds: two decimals below 10, one below 1000, none above. */
export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '-';
  if (ms < 10) return ms.toFixed(2);
  if (ms < 1000) return ms.toFixed(1);
  return ms.toFixed(0);
}

export function fmtRate(perSecond: number): string {
  if (perSecond < 100) return perSecond.toFixed(1);
  return perSecond.toFixed(0);
}

export function fmtMiB(kib: number | null | undefined): string {
  if (kib === null || kib === undefined) return '-';
  return `${(kib / 1024).toFixed(1)} MiB`;
}

export interface TargetCheck {
  name: string;
  pass: boolean;
  /** What was measured against what, e.g. "412.3 req/s vs ≥ 401.0". */
  detail: string;
  /** A figure shown beside the targets that is not one of them (INFO): `pass` is then meaningless. */
  informational?: boolean;
}

export function renderTargets(checks: readonly TargetCheck[]): string {
  return checks.map((c) => `${c.informational ? 'INFO' : c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`).join('\n');
}

export interface Environment {
  bun: string;
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  totalMemoryMiB: number;
  gitCommit: string | null;
  gitDirty: boolean | null;
}

export function describeEnvironment(root: string): Environment {
  const git = (args: string[]): string | null => {
    try {
      const result = Bun.spawnSync({ cmd: ['git', ...args], cwd: root, stdout: 'pipe', stderr: 'ignore' });
      return result.exitCode === 0 ? result.stdout.toString().trim() : null;
    } catch {
      return null;
    }
  };
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  const info = cpus();
  return {
    bun: Bun.version,
    platform: process.platform,
    arch: process.arch,
    cpus: info.length,
    cpuModel: info[0]?.model ?? 'unknown',
    totalMemoryMiB: Math.round(totalmem() / 1_048_576),
    gitCommit: git(['rev-parse', 'HEAD']),
    gitDirty: status === null ? null : status !== '',
  };
}

/** Writes `<outDir>/<section>.json` (the directory is created) and returns its path. */
export async function writeSectionResults(outDir: string, section: string, data: unknown): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const path = join(outDir, `${section}.json`);
  await Bun.write(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}

// Types of scripts/bootstrap.mjs (plain JavaScript: it runs on Node before Bun exists), for its tests.

export interface SystemPackage {
  apt: string;
  why: string;
  command?: string;
  present?: (env: Record<string, string | undefined>) => boolean;
}
export const TEST_SYSTEM_PACKAGES: SystemPackage[];
export function pinnedBunVersion(root?: string): string;
export function localBunPrefix(version: string, root?: string): string;
export function onPath(name: string, pathValue: string | undefined): string | null;
export function versionOf(executable: string, env?: Record<string, string | undefined>): string | null;
export function planBun(input: {
  wanted: string;
  found: { path: string; version: string | null } | null;
  local: { path: string; version: string | null } | null;
  globalWritable: boolean;
}): { use: string; install?: undefined } | { install: 'global' | 'local'; use?: undefined };
export function canWrite(dir: string): boolean;
export function aptCommands(packages: string[], context: { isRoot: boolean; hasSudo: boolean; hasAptGet: boolean }): string[][] | null;

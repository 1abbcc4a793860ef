// The switch between the two gateways the HTTP suite can run against: the source, started
// in the test process (default), or the compiled binary, GATEWAY_UNDER_TEST=binary, run as
// a child process. `npm test` runs the suite both ways.

import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export type GatewayUnderTest = 'source' | 'binary';

export const ROOT = join(import.meta.dir, '../..');
export const BINARY_PATH = join(ROOT, 'dist/kimi-gateway');
const MAIN_PATH = join(ROOT, 'src/main.ts');

/** What the binary is built from: a newer file here means dist/kimi-gateway is stale. */
const BUILD_INPUTS = ['src', 'scripts/build.ts', 'package.json', 'bun.lock'];

export const gatewayUnderTest: GatewayUnderTest = readSwitch(process.env.GATEWAY_UNDER_TEST);

function readSwitch(value: string | undefined): GatewayUnderTest {
  if (value === undefined || value === '' || value === 'source') return 'source';
  if (value === 'binary') return 'binary';
  throw new Error(`GATEWAY_UNDER_TEST="${value}": use "source" (default) or "binary".`);
}

/** The command that starts the gateway under test as a process (arguments follow it). */
export function gatewayCommand(): string[] {
  if (gatewayUnderTest === 'source') return [process.execPath, MAIN_PATH];
  assertBinaryFresh();
  return [BINARY_PATH];
}

let checked = false;

/** Throws, saying what to run, when dist/kimi-gateway is missing or older than what it is built from. */
export function assertBinaryFresh(): void {
  if (checked) return;
  const problem = binaryProblem(BINARY_PATH, ROOT, BUILD_INPUTS);
  if (problem) throw new Error(`GATEWAY_UNDER_TEST=binary, but ${problem}: run "bun run build" first (npm test does).`);
  checked = true;
}

/** Why `binary` cannot be trusted to be built from `inputs` (files or directories under `root`), or null. */
export function binaryProblem(binary: string, root: string, inputs: readonly string[]): string | null {
  const built = statSync(binary, { throwIfNoEntry: false });
  if (!built) return `${relative(root, binary)} does not exist`;
  let newest: { path: string; mtimeMs: number } | null = null;
  const visit = (path: string): void => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
    else if (!newest || stat.mtimeMs > newest.mtimeMs) newest = { path, mtimeMs: stat.mtimeMs };
  };
  for (const input of inputs) visit(join(root, input));
  const found = newest as { path: string; mtimeMs: number } | null;
  return found && found.mtimeMs > built.mtimeMs ? `${relative(root, binary)} is older than ${relative(root, found.path)}` : null;
}

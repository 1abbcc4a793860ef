// The whole test suite, twice where it matters (what `npm test` runs after the bootstrap):
//   1. bun test: everything from source (unit, HTTP integration, test/binary, browser);
//   2. bun run build: dist/kimi-gateway, once;
//   3. GATEWAY_UNDER_TEST=binary bun test <the HTTP integration files>: the same HTTP
//      tests against the compiled binary (test/helpers/gateway-under-test.ts).
// HTTP integration files are the ones that start a gateway: they call startHarness( or
// gatewayCommand(. Arguments are path filters, as for bun test; --binary runs steps 2-3 only.
// Both passes always run; the exit status is non-zero when either failed.

import { Glob } from 'bun';
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '..');
const STARTS_A_GATEWAY = /\b(startHarness|gatewayCommand)\(/;

const args = process.argv.slice(2);
const binaryOnly = args.includes('--binary');
const filters = args.filter((a) => a !== '--binary');

/** Test files that start a gateway under test, sorted, as ./paths (bun test takes those as files, not filters). */
export async function httpIntegrationFiles(root = ROOT): Promise<string[]> {
  const files: string[] = [];
  for await (const path of new Glob('test/**/*.test.ts').scan({ cwd: root })) {
    if (STARTS_A_GATEWAY.test(await Bun.file(join(root, path)).text())) files.push(`./${path}`);
  }
  return files.sort();
}

interface Step {
  name: string;
  ok: boolean;
  seconds: number;
  note?: string;
}

function run(name: string, command: string[], env: Record<string, string> = {}): Step {
  const shown = [command[0] === process.execPath ? 'bun' : command[0], ...command.slice(1)];
  console.log(`\n=== ${name}: ${Object.entries(env).map(([k, v]) => `${k}=${v} `).join('')}${shown.join(' ')}\n`);
  const started = performance.now();
  const result = Bun.spawnSync(command, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['inherit', 'inherit', 'inherit'] });
  return { name, ok: result.exitCode === 0, seconds: (performance.now() - started) / 1000 };
}

if (import.meta.main) {
  const bun = process.execPath;
  const steps: Step[] = [];
  if (!binaryOnly) steps.push(run(filters.length ? 'source pass (filtered)' : 'source pass: the whole suite', [bun, 'test', ...filters]));
  const build = run('build: dist/kimi-gateway', [bun, 'run', 'build']);
  steps.push(build);
  const files = (await httpIntegrationFiles()).filter((f) => filters.length === 0 || filters.some((filter) => f.includes(filter)));
  if (!build.ok) steps.push({ name: 'binary pass: HTTP integration tests', ok: false, seconds: 0, note: 'not run: the build failed' });
  else if (files.length === 0) steps.push({ name: 'binary pass: HTTP integration tests', ok: true, seconds: 0, note: 'no HTTP integration file matches the filters' });
  else steps.push(run(`binary pass: HTTP integration tests (${files.length} files)`, [bun, 'test', ...files], { GATEWAY_UNDER_TEST: 'binary' }));

  console.log('\n=== summary');
  for (const step of steps) {
    console.log(`  ${step.ok ? 'ok    ' : 'FAILED'}  ${step.name.padEnd(46)} ${step.seconds.toFixed(1).padStart(6)} s${step.note ? `  (${step.note})` : ''}`);
  }
  process.exit(steps.every((s) => s.ok) ? 0 : 1);
}

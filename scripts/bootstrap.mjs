#!/usr/bin/env node
// Readies a machine that has only Node and npm, then runs what was asked (no dependencies:
// it runs before Bun and node_modules exist).
//   node scripts/bootstrap.mjs demo [FLAGS]   what `npm run demo` runs: bun scripts/demo.ts
//   node scripts/bootstrap.mjs test [ARGS]    what `npm test` runs: bun scripts/test-all.ts
//   node scripts/bootstrap.mjs                only install, the test packages included (CI)
//   --dry-run (first)                         print what it would do, do nothing
// Installs only what is missing: the Bun package.json pins ("packageManager"), the locked
// dependencies (bun install --frozen-lockfile), and but for `demo` the system packages
// listed in TEST_SYSTEM_PACKAGES (apt-get, with sudo when not root).

import { spawnSync, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * What the tests need from the system, installed with apt-get when missing. A test that
 * needs another service (Redis: { apt: 'redis-server', command: 'redis-server' }) adds
 * a line here; `present` overrides the command check.
 */
export const TEST_SYSTEM_PACKAGES = [
  {
    apt: 'chromium',
    why: 'the dashboard test drives headless Chromium (test/ops/dashboard.browser.test.ts)',
    present: (env) => existsSync(env.CHROMIUM_PATH || '/usr/bin/chromium'),
  },
  {
    apt: 'redis-server',
    why: 'the scale-out tests run several gateways on a real Redis (test/scale/)',
    command: 'redis-server',
  },
];

const TARGETS = {
  demo: ['scripts/demo.ts'],
  test: ['scripts/test-all.ts'],
};

/** The Bun version package.json pins. */
export function pinnedBunVersion(root = ROOT) {
  const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const match = /^bun@(\d+\.\d+\.\d+)$/.exec(packageManager ?? '');
  if (!match) throw new Error(`package.json "packageManager" should be "bun@X.Y.Z", not ${JSON.stringify(packageManager)}`);
  return match[1];
}

/** Where a project-local Bun goes (npm -g --prefix): inside node_modules, so git ignores it and `rm -rf node_modules` removes it. */
export const localBunPrefix = (version, root = ROOT) => join(root, 'node_modules', '.cache', `bun-${version}`);

/** First executable named `name` on a PATH string, or null. */
export function onPath(name, pathValue) {
  for (const dir of (pathValue ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** `bun --version` of an executable, or null when it does not run. */
export function versionOf(executable, env = process.env) {
  const run = spawnSync(executable, ['--version'], { encoding: 'utf8', env });
  return run.status === 0 ? run.stdout.trim() : null;
}

/**
 * Which Bun to use, or how to install the pinned one. The pinned Bun on PATH wins, then
 * a project-local one. Otherwise: a global install (npm i -g) when there is no bun at all
 * and npm's global prefix is writable, so `bun` works in the shell afterwards; else a
 * project-local one, so that a different global Bun (other projects' version) is never
 * replaced and no root is needed.
 */
export function planBun({ wanted, found, local, globalWritable }) {
  if (found && found.version === wanted) return { use: found.path };
  if (local && local.version === wanted) return { use: local.path };
  if (!found && globalWritable) return { install: 'global' };
  return { install: 'local' };
}

/** Whether this user can write to a directory (or create it: the nearest existing ancestor is a writable directory). */
export function canWrite(dir) {
  for (let at = resolve(dir); ; at = dirname(at)) {
    if (existsSync(at)) {
      try {
        accessSync(at, constants.W_OK);
        return statSync(at).isDirectory();
      } catch {
        return false;
      }
    }
    if (dirname(at) === at) return false;
  }
}

/** The apt-get commands that install `packages` (sudo when not root), or null when apt-get is not there. */
export function aptCommands(packages, { isRoot, hasSudo, hasAptGet }) {
  if (!hasAptGet || (!isRoot && !hasSudo)) return null;
  const as = isRoot ? [] : ['sudo'];
  return [
    [...as, 'apt-get', 'update', '-qq'],
    [...as, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-qq', ...packages],
  ];
}

class BootstrapError extends Error {}

function main() {
  const args = process.argv.slice(2);
  const dryRun = args[0] === '--dry-run';
  if (dryRun) args.shift();
  const [target, ...rest] = args;
  if (target !== undefined && !(target in TARGETS)) {
    throw new BootstrapError(`unknown target "${target}": use ${Object.keys(TARGETS).join(' or ')} (or nothing, to only install)`);
  }
  const say = (line) => console.log(`bootstrap: ${line}`);
  const run = (command, options = {}) => {
    if (dryRun) return say(`would run: ${command.join(' ')}`);
    const result = spawnSync(command[0], command.slice(1), { stdio: 'inherit', cwd: ROOT, ...options });
    if (result.error) throw new BootstrapError(`${command.join(' ')}: ${result.error.message}`);
    if (result.status !== 0) throw new BootstrapError(`${command.join(' ')} failed (exit ${result.status ?? result.signal})`);
  };

  // 1. The pinned Bun.
  const wanted = pinnedBunVersion();
  const bunOnPath = onPath('bun', process.env.PATH);
  const found = bunOnPath && { path: bunOnPath, version: versionOf(bunOnPath) };
  const prefix = localBunPrefix(wanted);
  const localPath = join(prefix, 'bin', 'bun');
  const local = existsSync(localPath) ? { path: localPath, version: versionOf(localPath) } : null;
  const npmPrefix = found?.version === wanted ? null : spawnSync('npm', ['prefix', '-g'], { encoding: 'utf8' }).stdout?.trim();
  const plan = planBun({ wanted, found, local, globalWritable: Boolean(npmPrefix) && canWrite(join(npmPrefix, 'lib', 'node_modules')) && canWrite(join(npmPrefix, 'bin')) });
  let bun;
  if (plan.use) {
    bun = plan.use;
    say(`bun ${wanted} (${bun})`);
  } else {
    const why = found ? `bun on PATH is ${found.version ?? 'broken'} (${found.path}), this project pins ${wanted}` : `no bun on PATH, this project pins ${wanted}`;
    if (plan.install === 'global') {
      say(`${why}: installing it globally with npm`);
      run(['npm', 'install', '-g', `bun@${wanted}`]);
      bun = join(npmPrefix, 'bin', 'bun');
    } else {
      say(`${why}: installing it for this project only, in ${prefix}`);
      run(['npm', 'install', '-g', '--prefix', prefix, `bun@${wanted}`]);
      bun = localPath;
    }
    if (!dryRun && versionOf(bun) !== wanted) throw new BootstrapError(`installed bun at ${bun} but it does not answer ${wanted} to --version`);
  }
  // The commands below, and everything they start, find this bun first.
  const env = { ...process.env, PATH: `${dirname(bun)}${delimiter}${process.env.PATH ?? ''}` };

  // 2. The locked dependencies (a no-op in milliseconds when node_modules matches bun.lock).
  run([bun, 'install', '--frozen-lockfile'], { env });

  // 3. System packages the tests need.
  if (target !== 'demo') {
    const missing = TEST_SYSTEM_PACKAGES.filter((p) => !(p.present ? p.present(env) : onPath(p.command ?? p.apt, env.PATH)));
    if (missing.length > 0) {
      for (const p of missing) say(`${p.apt} is missing: ${p.why}`);
      const isRoot = process.getuid?.() === 0;
      const commands = aptCommands(missing.map((p) => p.apt), { isRoot, hasSudo: Boolean(onPath('sudo', env.PATH)), hasAptGet: Boolean(onPath('apt-get', env.PATH)) });
      if (!commands) throw new BootstrapError(`install ${missing.map((p) => p.apt).join(', ')} with your system's package manager (as root), then run this again`);
      for (const command of commands) run(command, { env });
    }
  }

  // 4. What was asked for, with signals passed on (Ctrl-C reaches the child from the terminal).
  if (target === undefined) return say('ready');
  const command = [bun, ...TARGETS[target], ...rest];
  if (dryRun) return say(`would run: ${command.join(' ')}`);
  const child = spawn(command[0], command.slice(1), { stdio: 'inherit', cwd: ROOT, env });
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    if (!(error instanceof BootstrapError)) throw error;
    console.error(`bootstrap: ${error.message}`);
    process.exit(1);
  }
}

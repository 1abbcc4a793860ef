// scripts/bootstrap.mjs (what `npm test` and `npm run demo` run first) in --dry-run, as a
// process on a PATH the test controls: a missing or wrong Bun is detected and the right
// install chosen, the pinned one is used as it is, missing test packages lead to apt-get.
// (Real installs were checked by hand; the suite never downloads anything.)

import { expect, test } from 'bun:test';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptCommands, planBun } from '../../scripts/bootstrap.mjs';

const ROOT = join(import.meta.dir, '../..');
const PINNED = (await Bun.file(join(ROOT, 'package.json')).json()).packageManager.split('@')[1] as string;
const NODE = Bun.which('node');
const NPM = Bun.which('npm');
if (!NODE || !NPM) throw new Error('these tests run the bootstrap with Node and npm, as a fresh machine has them: install Node.js');

/** A throwaway copy of the project (package.json + the script) and a PATH with node, npm, redis-server and what `tools` adds. */
function sandbox(tools: Record<string, string> = {}, { redis = true }: { redis?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kimi-gw-bootstrap-'));
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(join(ROOT, 'scripts/bootstrap.mjs'), join(dir, 'scripts/bootstrap.mjs'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ packageManager: `bun@${PINNED}` }));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(NODE!, join(bin, 'node'));
  symlinkSync(NPM!, join(bin, 'npm'));
  for (const [name, script] of Object.entries(tools)) executable(join(bin, name), script);
  if (redis) executable(join(bin, 'redis-server'), 'exit 0');
  return { dir, bin };
}

function executable(path: string, script: string) {
  writeFileSync(path, `#!/bin/sh\n${script}\n`);
  chmodSync(path, 0o755);
}

const fakeBun = (version: string) => `echo ${version}`;

function dryRun(box: { dir: string; bin: string }, args: string[], env: Record<string, string>) {
  const run = Bun.spawnSync([NODE!, join(box.dir, 'scripts/bootstrap.mjs'), '--dry-run', ...args], {
    env: { PATH: box.bin, HOME: box.dir, ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  return { code: run.exitCode, out: run.stdout.toString() + run.stderr.toString() };
}

/** An npm global prefix this user can write to, and one nobody can (under a regular file). */
const writablePrefix = () => mkdtempSync(join(tmpdir(), 'kimi-gw-npm-'));
const unwritablePrefix = () => {
  const file = join(mkdtempSync(join(tmpdir(), 'kimi-gw-npm-')), 'a-file');
  writeFileSync(file, '');
  return join(file, 'prefix');
};
const chromiumThere = () => {
  const path = join(mkdtempSync(join(tmpdir(), 'kimi-gw-chromium-')), 'chromium');
  executable(path, 'exit 0');
  return path;
};

test('the pinned Bun on PATH is used as it is: nothing is installed', () => {
  const box = sandbox({ bun: fakeBun(PINNED) });
  const { code, out } = dryRun(box, ['demo', '--port', '9000'], { NPM_CONFIG_PREFIX: writablePrefix() });
  expect(code).toBe(0);
  expect(out).toContain(`bootstrap: bun ${PINNED} (${join(box.bin, 'bun')})`);
  expect(out).not.toContain('install -g');
  expect(out).toContain(`would run: ${join(box.bin, 'bun')} install --frozen-lockfile`);
  expect(out).toContain(`would run: ${join(box.bin, 'bun')} scripts/demo.ts --port 9000`);
});

test('no Bun at all and a writable npm prefix: a global install, so `bun` works in the shell afterwards', () => {
  const box = sandbox();
  const prefix = writablePrefix();
  const { code, out } = dryRun(box, ['test'], { NPM_CONFIG_PREFIX: prefix, CHROMIUM_PATH: chromiumThere() });
  expect(code).toBe(0);
  expect(out).toContain(`no bun on PATH, this project pins ${PINNED}: installing it globally with npm`);
  expect(out).toContain(`would run: npm install -g bun@${PINNED}`);
  expect(out).toContain(`would run: ${join(prefix, 'bin/bun')} install --frozen-lockfile`);
  expect(out).toContain(`would run: ${join(prefix, 'bin/bun')} scripts/test-all.ts`);
});

test('no Bun and an npm prefix this user cannot write: a project-local install, no root needed', () => {
  const box = sandbox();
  const { code, out } = dryRun(box, [], { NPM_CONFIG_PREFIX: unwritablePrefix(), CHROMIUM_PATH: chromiumThere() });
  const local = join(box.dir, 'node_modules/.cache', `bun-${PINNED}`);
  expect(code).toBe(0);
  expect(out).toContain(`installing it for this project only, in ${local}`);
  expect(out).toContain(`would run: npm install -g --prefix ${local} bun@${PINNED}`);
  expect(out).toContain(`would run: ${join(local, 'bin/bun')} install --frozen-lockfile`);
  expect(out).toContain('bootstrap: ready');
});

test('a different Bun on PATH is detected and left alone: the pinned one is installed for this project', () => {
  const box = sandbox({ bun: fakeBun('1.3.0') });
  const { code, out } = dryRun(box, [], { NPM_CONFIG_PREFIX: writablePrefix(), CHROMIUM_PATH: chromiumThere() });
  expect(code).toBe(0);
  expect(out).toContain(`bun on PATH is 1.3.0 (${join(box.bin, 'bun')}), this project pins ${PINNED}`);
  expect(out).toContain(`would run: npm install -g --prefix ${join(box.dir, 'node_modules/.cache', `bun-${PINNED}`)} bun@${PINNED}`);
  expect(out).not.toContain(`${join(box.bin, 'bun')} install`);
});

test('a project-local pinned Bun from an earlier run is used, whatever bun is on PATH', () => {
  const box = sandbox({ bun: fakeBun('1.3.0') });
  const local = join(box.dir, 'node_modules/.cache', `bun-${PINNED}`, 'bin');
  mkdirSync(local, { recursive: true });
  executable(join(local, 'bun'), fakeBun(PINNED));
  const { code, out } = dryRun(box, ['demo'], { NPM_CONFIG_PREFIX: writablePrefix() });
  expect(code).toBe(0);
  expect(out).toContain(`bootstrap: bun ${PINNED} (${join(local, 'bun')})`);
  expect(out).not.toContain('npm install');
});

test('`test` (and install-only) installs missing system packages with apt-get (sudo when not root); `demo` does not need them', () => {
  const box = sandbox({ bun: fakeBun(PINNED), 'apt-get': 'exit 0', sudo: 'exit 0' });
  const env = { NPM_CONFIG_PREFIX: writablePrefix(), CHROMIUM_PATH: join(box.dir, 'no-chromium-here') };
  const { code, out } = dryRun(box, ['test'], env);
  expect(code).toBe(0);
  expect(out).toContain('chromium is missing: the dashboard test drives headless Chromium');
  const as = process.getuid?.() === 0 ? '' : 'sudo ';
  expect(out).toContain(`would run: ${as}apt-get update -qq`);
  expect(out).toContain(`would run: ${as}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium`);
  expect(out.indexOf('apt-get install')).toBeLessThan(out.indexOf('scripts/test-all.ts'));

  expect(dryRun(box, [], env).out).toContain(`would run: ${as}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium`);
  expect(dryRun(box, ['demo'], env).out).not.toContain('chromium');
  expect(dryRun(box, ['test'], { ...env, CHROMIUM_PATH: chromiumThere() }).out).not.toContain('apt-get');

  // Redis too (the scale-out tests), in the same apt-get run.
  const noRedis = sandbox({ bun: fakeBun(PINNED), 'apt-get': 'exit 0', sudo: 'exit 0' }, { redis: false });
  const both = dryRun(noRedis, ['test'], env).out;
  expect(both).toContain('redis-server is missing: the scale-out tests');
  expect(both).toContain(`would run: ${as}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium redis-server`);
});

test('without apt-get the missing package is named and nothing runs', () => {
  const box = sandbox({ bun: fakeBun(PINNED) });
  const { code, out } = dryRun(box, ['test'], { NPM_CONFIG_PREFIX: writablePrefix(), CHROMIUM_PATH: join(box.dir, 'none') });
  expect(code).toBe(1);
  expect(out).toContain("bootstrap: install chromium with your system's package manager (as root), then run this again");
  expect(out).not.toContain('scripts/test-all.ts');
});

test('the decisions themselves', () => {
  const right = { path: '/x/bun', version: PINNED };
  const wrong = { path: '/x/bun', version: '1.3.0' };
  expect(planBun({ wanted: PINNED, found: right, local: null, globalWritable: false })).toEqual({ use: '/x/bun' });
  expect(planBun({ wanted: PINNED, found: { path: '/x/bun', version: null }, local: null, globalWritable: true })).toEqual({ install: 'local' });
  expect(planBun({ wanted: PINNED, found: wrong, local: { path: '/l/bun', version: '1.0.0' }, globalWritable: true })).toEqual({ install: 'local' });
  expect(planBun({ wanted: PINNED, found: null, local: null, globalWritable: true })).toEqual({ install: 'global' });
  expect(aptCommands(['chromium'], { isRoot: false, hasSudo: true, hasAptGet: true })![1]![0]).toBe('sudo');
  expect(aptCommands(['chromium'], { isRoot: false, hasSudo: false, hasAptGet: true })).toBeNull();
  expect(aptCommands(['chromium'], { isRoot: true, hasSudo: false, hasAptGet: false })).toBeNull();
});

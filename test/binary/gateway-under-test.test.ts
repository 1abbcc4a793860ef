// The harness switch's guard: GATEWAY_UNDER_TEST=binary refuses a missing binary or one
// older than any file it is built from, instead of testing yesterday's build.

import { expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryProblem } from '../helpers/gateway-under-test.ts';

test('missing, older than a source file, or fresh', () => {
  const root = mkdtempSync(join(tmpdir(), 'kimi-gw-fresh-'));
  mkdirSync(join(root, 'src/http'), { recursive: true });
  mkdirSync(join(root, 'dist'));
  const binary = join(root, 'dist/kimi-gateway');
  const inputs = ['src', 'package.json', 'bun.lock'];
  writeFileSync(join(root, 'src/http/app.ts'), '');
  writeFileSync(join(root, 'src/main.ts'), '');
  writeFileSync(join(root, 'package.json'), '{}');
  const at = (path: string, seconds: number) => utimesSync(join(root, path), seconds, seconds);
  at('src/http/app.ts', 1_000);
  at('src/main.ts', 1_000);
  at('package.json', 1_000);

  expect(binaryProblem(binary, root, inputs)).toBe('dist/kimi-gateway does not exist');
  writeFileSync(binary, '');
  at('dist/kimi-gateway', 2_000);
  expect(binaryProblem(binary, root, inputs)).toBeNull();
  at('src/http/app.ts', 3_000);
  expect(binaryProblem(binary, root, inputs)).toBe('dist/kimi-gateway is older than src/http/app.ts');
  at('dist/kimi-gateway', 4_000);
  at('package.json', 5_000);
  expect(binaryProblem(binary, root, inputs)).toBe('dist/kimi-gateway is older than package.json');
});

// The one-executable promise: build dist/kimi-gateway, copy it into an empty directory,
// start it there with only a .env for config, and chat through it (streamed and not).

import { afterAll, beforeAll, expect, test } from 'bun:test';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startEmulator, type Emulator } from '../../emulator/emulator.ts';
import { startProcess, type RunningProcess } from '../helpers/process.ts';

const ROOT = join(import.meta.dir, '../..');
const KEY = 'sk-binary-test-key-0001';
const ADMIN = 'admin-binary-test-key-0002';
let dir: string;
let emulator: Emulator;
let gateway: RunningProcess;
let baseURL: string;

beforeAll(async () => {
  const build = Bun.spawnSync(['bun', 'run', 'build'], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
  if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.toString()}`);
  dir = await mkdtemp(join(tmpdir(), 'kimi-gateway-bin-'));
  await copyFile(join(ROOT, 'dist/kimi-gateway'), join(dir, 'kimi-gateway'));
  emulator = startEmulator({ latencyMs: 50 });
  await writeFile(join(dir, '.env'), `API_KEYS=${KEY}\nADMIN_KEY=${ADMIN}\nHOST=127.0.0.1\nPORT=0\nUPSTREAM_BASE_URL=${emulator.url}\n`);
  // No inherited environment: only what a bare VPS shell would have.
  gateway = startProcess([join(dir, 'kimi-gateway')], { cwd: dir, env: { PATH: '/usr/bin:/bin', HOME: dir } });
  const line = await gateway.waitForLine(/listening on (http:\/\/\S+)/, 10_000);
  baseURL = `${/listening on (http:\/\/[^\s"]+)/.exec(line)![1]}/v1`;
}, 60_000);

afterAll(async () => {
  // SIGTERM: the binary drains and exits 0.
  expect(await gateway?.stop()).toBe(0);
  await emulator?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the binary prints its version and help without any config', () => {
  const version = Bun.spawnSync([join(dir, 'kimi-gateway'), '--version'], { cwd: dir, env: { PATH: '/usr/bin:/bin' } });
  expect(version.stdout.toString().trim()).toMatch(/^\d+\.\d+\.\d+$/);
  const help = Bun.spawnSync([join(dir, 'kimi-gateway'), '--help'], { cwd: dir, env: { PATH: '/usr/bin:/bin' } });
  expect(help.stdout.toString()).toContain('UPSTREAM_BASE_URL');
});

test('non-streamed and streamed completions through the compiled binary', async () => {
  const openai = new OpenAI({ apiKey: KEY, baseURL, maxRetries: 0 });
  const res = await openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: 'from the binary' }] });
  expect(res.choices[0]!.message.content).toStartWith('Echo[15]: from the binary');

  const stream = await openai.chat.completions.create({ model: 'kimi-k2-instruct', messages: [{ role: 'user', content: 'streamed' }], stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  expect(text).toStartWith('Echo[8]: streamed');
  expect(text.length).toBe(200);
});

test('the binary answers 401, not 500, to a request without a usable key (Elysia AOT survives the build)', async () => {
  const root = baseURL.slice(0, -'/v1'.length);
  const refused: Array<Record<string, string>> = [{}, { authorization: '' }, { authorization: 'Basic abc' }, { authorization: 'bearer wrong' }, { authorization: 'Token x' }];
  for (const headers of refused) {
    const res = await fetch(`${root}/v1/models?access_token=${KEY}`, { headers });
    expect({ headers, status: res.status }).toEqual({ headers, status: 401 });
    expect((await res.json()).error.code).toBe('invalid_api_key');
  }
  const malformed = await fetch(`${root}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"not json' });
  expect(malformed.status).toBe(401);
  const accepted: Array<Record<string, string>> = [{ authorization: `bearer ${KEY}` }, { authorization: `Bearer   ${KEY}` }, { 'x-api-key': KEY }];
  for (const headers of accepted) {
    expect((await fetch(`${root}/v1/models`, { headers })).status).toBe(200);
  }
});

test('the binary answers oversize headers itself (its built-in header limit sits above the gateway\'s)', async () => {
  const root = baseURL.slice(0, -'/v1'.length);
  const res = await fetch(`${root}/v1/models`, { headers: { authorization: `Bearer ${KEY}`, cookie: `big=${'c'.repeat(30_000)}` } });
  expect(res.status).toBe(431);
  expect((await res.json()).error.code).toBe('request_headers_too_large');
  expect(res.headers.get('x-request-id')).toStartWith('req_');
});

test('the binary serves its dashboard, docs and metrics, and keeps a conversation in ./data', async () => {
  const root = baseURL.slice(0, -'/v1'.length);
  const dashboard = await fetch(`${root}/dashboard`, { headers: { authorization: `Basic ${btoa(`op:${ADMIN}`)}` } });
  expect(dashboard.status).toBe(200);
  expect(await dashboard.text()).toContain('<title>kimi-gateway');
  expect((await fetch(`${root}/docs`)).status).toBe(200);
  expect(await (await fetch(`${root}/metrics`)).text()).toContain('kimi_gateway_requests_total{route="/v1/chat/completions"');

  const openai = new OpenAI({ apiKey: KEY, baseURL, maxRetries: 0 });
  await openai.chat.completions.create({ model: 'kimi-k2-instruct', user: 'bin', messages: [{ role: 'user', content: 'remember' }] });
  await openai.chat.completions.create({ model: 'kimi-k2-instruct', user: 'bin', messages: [{ role: 'user', content: 'again' }] });
  expect(emulator.received.at(-1)!.message).toStartWith('User: remember\n\nAssistant: Echo[');
  expect(await Bun.file(join(dir, 'data', 'kimi-gateway.sqlite')).exists()).toBe(true);
});

test('a bad setting stops start-up with a message naming it', () => {
  const run = Bun.spawnSync([join(dir, 'kimi-gateway'), '--port', 'eighty'], { cwd: dir, env: { PATH: '/usr/bin:/bin' } });
  expect(run.exitCode).toBe(2);
  expect(run.stderr.toString()).toContain('--port: "eighty"');
});

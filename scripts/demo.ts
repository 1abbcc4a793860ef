// bun run demo: the emulator and the gateway wired together on loopback, with a demo
// key, and a curl line that works. Ctrl-C stops both.

import { parseCommandLine } from '../src/config.ts';
import { startEmulator } from '../src/emulator/emulator.ts';
import { startGateway } from '../src/gateway.ts';
import { createLogger } from '../src/log.ts';

const key = `sk-demo-${crypto.randomUUID().slice(0, 8)}`;
const adminKey = `admin-demo-${crypto.randomUUID().slice(0, 8)}`;
const emulator = startEmulator({ latencyMs: Number(process.env.DEMO_LATENCY_MS ?? 400), replyLength: 300 });
const cmd = parseCommandLine(['--upstream', emulator.url, ...process.argv.slice(2)], {
  ...process.env,
  API_KEYS: key,
  ADMIN_KEY: adminKey,
  HOST: '127.0.0.1',
  DB_PATH: process.env.DB_PATH ?? './data/demo.sqlite',
});
if (cmd.kind !== 'run') throw new Error('demo takes gateway flags only (e.g. --port 9000)');
const gateway = await startGateway(cmd.config, createLogger({ level: cmd.config.logLevel }));

const body = JSON.stringify({ model: 'kimi-k2-instruct-0905', stream: true, messages: [{ role: 'user', content: 'Hello, Kimi!' }] });
console.log(`
kimi-gateway demo
  gateway   ${gateway.url}  (API key: ${key})
  upstream  emulator at ${emulator.url} (a stand-in for kimi-ai.chat)

Try it:
  curl -N ${gateway.url}/v1/chat/completions \\
    -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\
    -d '${body}'

OpenAI SDK: baseURL "${gateway.url}/v1", apiKey "${key}".
Dashboard: ${gateway.url}/dashboard (any user name, password ${adminKey}). API docs: ${gateway.url}/docs
Ctrl-C to stop.
`);

const stop = async () => {
  await gateway.stop();
  await emulator.stop();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

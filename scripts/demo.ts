// bun run demo: the emulator and the gateway wired together on loopback, with a demo
// key, and a curl line that works. Ctrl-C stops both. --help lists its flags.

import { ConfigError, parseCommandLine } from '../src/config.ts';
import { startEmulator } from '../emulator/emulator.ts';
import { startGateway, type Gateway } from '../src/gateway.ts';
import { createLogger } from '../src/log.ts';
import { AccountsFileError } from '../src/pool/accounts-file.ts';
import { StoreError } from '../src/store/database.ts';
import { VERSION } from '../src/version.ts';

const HELP = `kimi-gateway demo: the gateway in front of a local emulator of kimi-ai.chat, with a fresh demo API key.

Usage: npm run demo [-- FLAGS]     (or: bun run demo [FLAGS], bun scripts/demo.ts [FLAGS])

  --port P            port of the gateway, on 127.0.0.1 (default 8088; 0 = any free port)
  --help, -h          this text
  Any other kimi-gateway flag works too (--db FILE, --accounts FILE, ...): see kimi-gateway --help.

Environment:
  DEMO_LATENCY_MS     how long the emulator takes to answer, in milliseconds (default 400)
  DB_PATH             the demo's SQLite file (default ./data/demo.sqlite)
  Other kimi-gateway settings (LOG_LEVEL, CONTEXT_MAX_LENGTH, ...) are read as usual;
  API_KEYS, ADMIN_KEY and HOST are the demo's own (fresh keys each run, 127.0.0.1).`;

/** One line on stderr, no stack trace: what went wrong and what to do. */
function fail(message: string, code: number): never {
  console.error(`demo: ${message}`);
  process.exit(code);
}

function readLatency(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 400;
  const ms = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || ms > 600_000) fail(`DEMO_LATENCY_MS: "${raw}" is not a whole number of milliseconds from 0 to 600000.`, 2);
  return ms;
}

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}
const latencyMs = readLatency(process.env.DEMO_LATENCY_MS);
const key = `sk-demo-${crypto.randomUUID().slice(0, 8)}`;
const emulator = startEmulator({ latencyMs, replyLength: 300 });

let cmd;
try {
  cmd = parseCommandLine(['--upstream', emulator.url, ...argv], {
    ...process.env,
    API_KEYS: key,
    ADMIN_KEY: `admin-demo-${crypto.randomUUID().slice(0, 8)}`,
    HOST: '127.0.0.1',
    DB_PATH: process.env.DB_PATH ?? './data/demo.sqlite',
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  fail(error.message.replace('Run kimi-gateway --help', 'Run npm run demo -- --help'), 2);
}
if (cmd.kind === 'version') {
  console.log(VERSION);
  process.exit(0);
}
if (cmd.kind !== 'run') fail('unexpected command line; see npm run demo -- --help', 2);
const { config } = cmd;

let gateway: Gateway;
try {
  gateway = await startGateway(config, createLogger({ level: config.logLevel }));
} catch (error) {
  if (error instanceof AccountsFileError || error instanceof StoreError) fail(error.message, 2);
  const reason = (error as { code?: unknown }).code === 'EADDRINUSE' ? 'the port is in use' : (error as Error).message;
  fail(`cannot listen on ${config.host}:${config.port}: ${reason}. Stop what uses it, or pick another port: npm run demo -- --port 9000`, 1);
}

const onEmulator = config.upstreamBaseUrl === emulator.url;
const body = JSON.stringify({ model: 'kimi-k2-instruct-0905', stream: true, messages: [{ role: 'user', content: 'Hello, Kimi!' }] });
console.log(`
kimi-gateway demo
  gateway   ${gateway.url}  (API key: ${key})
  upstream  ${onEmulator ? `emulator at ${emulator.url} (a stand-in for kimi-ai.chat, answering in ${latencyMs} ms)` : config.upstreamBaseUrl}

Try it:
  curl -N ${gateway.url}/v1/chat/completions \\
    -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\
    -d '${body}'

OpenAI SDK: baseURL "${gateway.url}/v1", apiKey "${key}".
Dashboard: ${gateway.url}/dashboard (any user name, password ${config.adminKey}). API docs: ${gateway.url}/docs
Ctrl-C to stop.
`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) {
    console.log('demo: second signal; stopped without waiting');
    process.exit(0);
  }
  stopping = true;
  console.log(`demo: stopping (${signal}); requests in flight may finish first`);
  await gateway.stop();
  await emulator.stop();
  console.log('demo: stopped');
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

// Command-line flags of the emulator CLI, parsed into EmulatorOptions.

import type { EmulatorOptions } from './types.ts';

export const DEFAULT_CLI_PORT = 8090;

export const USAGE = `Usage: bun emulator/main.ts [options]

A fake kimi-ai.chat on 127.0.0.1 for tests, the demo and benchmarks.

Options:
  --port N                 port to listen on (default ${DEFAULT_CLI_PORT}; 0 = any free port)
  --latency MS             delay before answering each message (default 0)
  --reply-length N         reply length in characters (default 200)
  --nonce-ttl MS           nonce lifetime (default 12 h)
  --max-message-length N   longest accepted message (default 1000)
  --stale-nonce-style S    json (200 success:false, default) or 403 (403 "-1")
  --page-filler-bytes N    extra HTML filler in the chat page (default 60000)
  --seed N                 seed for probabilistic faults (default 1)
  --help                   print this help

The reply is "Echo[<length>]: <end of the message>" plus filler, except for tool prompts: with a
"Tools:" block it calls the functions the newest user turn names (or must call), after a
"Tool (fn): ..." block it answers "Result of fn: ...", and on a JSON line it answers JSON.

Control it at runtime over HTTP: GET /__emulator/stats, POST|DELETE /__emulator/faults,
POST /__emulator/config, POST /__emulator/expire-nonces, POST /__emulator/reset.
Malformed model answers are faults too: tool_fenced, tool_bad_json, tool_undeclared,
tool_none, json_fenced, json_invalid (e.g. POST /__emulator/faults {"kind":"tool_none","times":1}).`;

export type CliCommand = { kind: 'help' } | { kind: 'run'; options: EmulatorOptions };

const NUMERIC_FLAGS = {
  '--port': 'port',
  '--latency': 'latencyMs',
  '--reply-length': 'replyLength',
  '--nonce-ttl': 'nonceTtlMs',
  '--max-message-length': 'maxMessageLength',
  '--page-filler-bytes': 'pageFillerBytes',
  '--seed': 'seed',
} as const satisfies Record<string, keyof EmulatorOptions>;

function isNumericFlag(flag: string): flag is keyof typeof NUMERIC_FLAGS {
  return Object.hasOwn(NUMERIC_FLAGS, flag);
}

/** Throws an Error with a user-facing message on a bad flag or value. */
export function parseCliArgs(args: readonly string[]): CliCommand {
  const options: EmulatorOptions = { port: DEFAULT_CLI_PORT };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    const eq = arg.indexOf('=');
    const flag = eq >= 0 ? arg.slice(0, eq) : arg;
    const takeValue = (): string => {
      const value = eq >= 0 ? arg.slice(eq + 1) : args[++i];
      if (value === undefined || value === '') throw new Error(`${flag} needs a value`);
      return value;
    };
    if (isNumericFlag(flag)) {
      const raw = takeValue();
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0) throw new Error(`${flag} must be a non-negative integer, got "${raw}"`);
      options[NUMERIC_FLAGS[flag]] = value;
    } else if (flag === '--stale-nonce-style') {
      const value = takeValue();
      if (value !== 'json' && value !== '403') throw new Error(`--stale-nonce-style must be json or 403, got "${value}"`);
      options.staleNonceStyle = value;
    } else {
      throw new Error(`unknown option: ${arg}`);
    }
  }
  if ((options.port ?? 0) > 65535) throw new Error('--port must be at most 65535');
  return { kind: 'run', options };
}

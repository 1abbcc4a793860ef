#!/usr/bin/env bun
// kimi-gateway's entry point: parse the command line, start, reload on SIGHUP, stop on
// SIGINT/SIGTERM; or run the `check` subcommand. No logic.

import { runCheck } from './cli/check.ts';
import { ConfigError, parseCommandLine, renderHelp } from './config.ts';
import { startGateway, type Gateway } from './gateway.ts';
import { createLogger } from './log.ts';
import { AccountsFileError } from './pool/accounts-file.ts';
import { StoreError } from './store/database.ts';
import { SharedStateStartError } from './store/redis/shared-state.ts';
import { ModelAliasError } from './conversation/model-catalog.ts';
import { VERSION } from './version.ts';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'check') process.exit(await runCheck(argv.slice(1), process.env, (line) => console.log(line)));

  let command;
  try {
    command = parseCommandLine(argv, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`kimi-gateway: ${error.message}`);
    process.exit(2);
  }
  if (command.kind === 'help') return void console.log(renderHelp(VERSION));
  if (command.kind === 'version') return void console.log(VERSION);

  const { config } = command;
  const log = createLogger({ level: config.logLevel });
  let gateway: Gateway;
  try {
    gateway = await startGateway(config, log);
  } catch (error) {
    if (error instanceof AccountsFileError || error instanceof StoreError || error instanceof ModelAliasError) {
      console.error(`kimi-gateway: ${error.message}`);
      process.exit(2);
    }
    if (error instanceof SharedStateStartError) {
      console.error(`kimi-gateway: ${error.message}`);
      process.exit(1);
    }
    console.error(`kimi-gateway: cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
    process.exit(1);
  }
  if (config.apiKeys.length === 0) {
    log.warn(
      config.loopbackOnlyBecauseNoKey
        ? '!!! NO API KEY IS SET: the gateway would be open to anyone, so it listens on 127.0.0.1 only. Set API_KEYS (comma-separated) to serve other machines.'
        : '!!! NO API KEY IS SET: anyone on this machine can use the gateway. Set API_KEYS (comma-separated) to require a key.',
    );
  }
  log.info(`kimi-gateway ${VERSION} listening on ${gateway.url}`, {
    upstream: config.upstreamBaseUrl,
    identities: gateway.pool.size,
    keys: config.apiKeys.length,
    db: config.dbPath,
  });

  process.on('SIGHUP', () => void gateway.reloadAccounts());
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn('second signal: stopping now without waiting', { signal });
      return void gateway.stop(0).then(() => process.exit(0));
    }
    stopping = true;
    log.info('stopping: no new connections; in-flight requests may finish', { signal, grace_ms: config.shutdownGraceMs });
    void gateway.stop().then(() => {
      log.info('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

await main();

// Composition root: builds the parts from a Config, wires them and starts listening.
// main.ts, the demo, the benchmark and the tests all start the gateway through here.

import { ChatService } from './chat/chat-service.ts';
import type { Config } from './config.ts';
import { createApp } from './http/app.ts';
import type { Logger } from './log.ts';
import { KimiClient } from './upstream/kimi-client.ts';
import { UpstreamIdentity } from './upstream/upstream-identity.ts';

export interface Gateway {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  /** Seconds a connection may stay silent (Bun's idleTimeout). Tests lower it to prove keep-alives work. */
  idleTimeoutSeconds?: number;
}

export function startGateway(config: Config, log: Logger, options: GatewayOptions = {}): Gateway {
  const client = new KimiClient({ baseUrl: config.upstreamBaseUrl, nonceMaxAgeMs: config.nonceMaxAgeMs });
  const identity = new UpstreamIdentity({ id: 'anonymous' });
  const chat = new ChatService({ client, identity });
  const app = createApp({ ...config, chat, log });

  app.listen({
    hostname: config.host,
    port: config.port,
    // A second gateway on the same port must fail loudly, not silently split traffic.
    reusePort: false,
    idleTimeout: options.idleTimeoutSeconds ?? 30,
    maxRequestBodySize: config.maxBodyBytes * 2,
  });
  const server = app.server!;

  // Warm the nonce so the first request does not pay for the page fetch.
  void client.refreshNonce(identity).then((result) => {
    if (result.ok) log.info('upstream nonce ready', { identity: identity.id });
    else log.warn('could not fetch the upstream nonce yet; will retry on the first request', { identity: identity.id, outcome: result.outcome.kind });
  });

  const host = server.hostname?.includes(':') ? `[${server.hostname}]` : server.hostname;
  return {
    url: `http://${host}:${server.port}`,
    port: server.port!,
    stop: async () => {
      await app.stop(true);
    },
  };
}

// startEmulator: wires the fake kimi-ai.chat together and serves it on 127.0.0.1.
// Routes: GET /chat/ (and /chat), POST /wp-admin/admin-ajax.php, /__emulator/* control
// endpoints; anything else is a WordPress-style 404 page.

import { ajaxDie, notFoundPage } from './answers.ts';
import { controlRoutes, type EmulatorControls } from './control-routes.ts';
import { FaultBook } from './faults.ts';
import { handleMessage } from './message-route.ts';
import { NonceStore } from './nonces.ts';
import { createChatPage, type ChatPage } from './page.ts';
import { createPageRoute } from './page-route.ts';
import { applyConfigPatch, resolveSettings } from './settings.ts';
import type { UpstreamState } from './state.ts';
import { StatsBook } from './stats.ts';
import type { Emulator, EmulatorOptions } from './types.ts';

export type * from './types.ts';
export { buildReply } from './reply.ts';
export { predictReply } from './tool-play.ts';

export function startEmulator(options: EmulatorOptions = {}): Emulator {
  const settings = resolveSettings(options);
  const lifetime = new AbortController();
  const state: UpstreamState = {
    settings,
    nonces: new NonceStore(settings.nonceLength),
    faults: new FaultBook(settings.seed),
    stats: new StatsBook(),
    lifetime: lifetime.signal,
  };
  for (const rule of options.faults ?? []) state.faults.add(rule);

  const controls: EmulatorControls = {
    received: state.stats.received,
    stats: () => state.stats.snapshot(),
    addFault: (rule) => state.faults.add(rule),
    clearFaults: () => state.faults.clear(),
    configure: (patch) => applyConfigPatch(settings, patch),
    expireNonces: () => state.nonces.expireAll(),
    reset: () => {
      state.stats.reset();
      state.faults.reset();
    },
  };

  let page: ChatPage | undefined;
  const chatPage = (): ChatPage => {
    page ??= createChatPage({ origin: url, fillerBytes: settings.pageFillerBytes });
    return page;
  };
  const pageRoute = createPageRoute(state, chatPage);

  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: options.port ?? 0,
    routes: {
      '/chat/': { GET: pageRoute },
      '/chat': { GET: pageRoute },
      '/wp-admin/admin-ajax.php': {
        POST: (req, srv) => handleMessage(req, srv, state),
        // admin-ajax.php without an action dies with "0".
        GET: () => ajaxDie('0', 400),
      },
      ...controlRoutes(controls),
    },
    fetch: () => notFoundPage(),
  });

  const port = server.port ?? 0;
  const url = `http://127.0.0.1:${port}`;
  chatPage();

  return {
    ...controls,
    url,
    port,
    async stop() {
      lifetime.abort();
      await server.stop(true);
    },
  };
}

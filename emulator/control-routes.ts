// /__emulator/* endpoints: the Emulator API over HTTP for out-of-process users (demo, bench).

import { parseFaultRule } from './faults.ts';
import { parseConfigPatch } from './settings.ts';
import type { Emulator, FaultRule } from './types.ts';

export type EmulatorControls = Omit<Emulator, 'url' | 'port' | 'stop'>;

type ControlHandler = (req: Request) => Promise<Response> | Response;

const OK = (): Response => Response.json({ ok: true });

function badRequest(error: unknown): Response {
  const message = error instanceof Error ? error.message : String(error);
  return Response.json({ ok: false, error: message }, { status: 400 });
}

async function readJson(req: Request): Promise<unknown> {
  try {
    return await req.json();
  } catch {
    throw new Error('body must be JSON');
  }
}

export function controlRoutes(controls: EmulatorControls): Record<string, Partial<Record<'GET' | 'POST' | 'DELETE', ControlHandler>>> {
  return {
    '/__emulator/stats': {
      GET: () => Response.json({ identities: controls.stats(), received: controls.received.length }),
    },
    '/__emulator/faults': {
      POST: async (req) => {
        try {
          const body = await readJson(req);
          // Validate the whole batch first so a bad rule adds nothing.
          const rules: FaultRule[] = (Array.isArray(body) ? body : [body]).map(parseFaultRule);
          for (const rule of rules) controls.addFault(rule);
          return Response.json({ ok: true, added: rules.length });
        } catch (error) {
          return badRequest(error);
        }
      },
      DELETE: () => {
        controls.clearFaults();
        return OK();
      },
    },
    '/__emulator/config': {
      POST: async (req) => {
        try {
          controls.configure(parseConfigPatch(await readJson(req)));
          return OK();
        } catch (error) {
          return badRequest(error);
        }
      },
    },
    '/__emulator/expire-nonces': {
      POST: () => {
        controls.expireNonces();
        return OK();
      },
    },
    '/__emulator/reset': {
      POST: () => {
        controls.reset();
        return OK();
      },
    },
  };
}

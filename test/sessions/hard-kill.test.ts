// Kill -9 the gateway process during a burst of session writes, restart on the same file,
// and find it consistent: every turn a client got an answer for is stored, in order.

import { Database } from 'bun:sqlite';
import { afterAll, expect, test } from 'bun:test';
import { tmpdir } from 'node:os';
import { startEmulator } from '../../emulator/emulator.ts';
import type { ChatMessage } from '../../src/conversation/messages.ts';
import { gatewayCommand } from '../helpers/gateway-under-test.ts';
import { TEST_KEY, startHarness, tempDbPath } from '../helpers/harness.ts';
import { startProcess, type RunningProcess } from '../helpers/process.ts';

const emulator = startEmulator({ replyLength: 20, maxMessageLength: 1_000_000 });
let gatewayProcess: RunningProcess | null = null;
afterAll(async () => {
  await gatewayProcess?.stop('SIGKILL');
  await emulator.stop();
});

test(
  'kill -9 during a burst of turns: the DB opens cleanly and holds every acknowledged turn',
  async () => {
    const dbPath = tempDbPath();
    // The source (bun src/main.ts) or, with GATEWAY_UNDER_TEST=binary, dist/kimi-gateway.
    gatewayProcess = startProcess([...gatewayCommand(), '--port', '0', '--db', dbPath, '--upstream', emulator.url], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', API_KEYS: TEST_KEY, HOST: '127.0.0.1', CONTEXT_MAX_LENGTH: '1000000', LOG_LEVEL: 'info' },
    });
    const line = await gatewayProcess.waitForLine(/listening on http:\/\/127\.0\.0\.1:\d+/, 10_000);
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(line)![0];

    const sessions = 16;
    const acked: number[] = Array(sessions).fill(0);
    let killed = false;
    const runSession = async (s: number) => {
      for (let turn = 1; !killed; turn++) {
        try {
          const res = await fetch(`${url}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify({ user: `s${s}`, messages: [{ role: 'user', content: `s${s} turn ${turn}` }] }),
          });
          if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
          await res.json();
          acked[s] = turn;
        } catch (error) {
          if (killed) return;
          throw error;
        }
      }
    };
    const burst = Promise.all(Array.from({ length: sessions }, (_, s) => runSession(s)));
    // Kill while writes are flowing: after a few hundred acknowledged turns.
    while (acked.reduce((a, b) => a + b, 0) < 300) await Bun.sleep(2);
    killed = true;
    gatewayProcess.proc.kill('SIGKILL');
    await gatewayProcess.proc.exited;
    await burst;

    // Consistency as SQLite sees it, before the gateway touches the file again.
    const raw = new Database(dbPath);
    expect(raw.query<{ integrity_check: string }, []>('PRAGMA integrity_check').get()!.integrity_check).toBe('ok');
    const rows = raw.query<{ id: string; history: string; turns: number }, []>('SELECT id, history, turns FROM sessions').all();
    raw.close();
    const stored = new Map(rows.map((r) => [r.id, { turns: r.turns, users: (JSON.parse(r.history) as ChatMessage[]).filter((m) => m.role === 'user').map((m) => m.content) }]));
    for (let s = 0; s < sessions; s++) {
      if (acked[s] === 0) continue;
      const session = stored.get(`s${s}`);
      expect(session).toBeDefined();
      // At least every acknowledged turn (one more may have been stored as the process died), in order, none twice.
      expect(session!.turns).toBeGreaterThanOrEqual(acked[s]!);
      expect(session!.turns).toBeLessThanOrEqual(acked[s]! + 1);
      expect(session!.users).toEqual(Array.from({ length: session!.turns }, (_, i) => `s${s} turn ${i + 1}`));
    }

    // And the gateway starts on it and continues a conversation.
    const h = await startHarness({ dbPath, emulatorInstance: emulator, env: { CONTEXT_MAX_LENGTH: '1000000' } });
    try {
      await h.openai.chat.completions.create({ model: 'kimi-k2-instruct', user: 's0', messages: [{ role: 'user', content: 'after the crash' }] });
      const sent = emulator.received.at(-1)!.message;
      expect(sent).toStartWith('User: s0 turn 1\n\n');
      expect(sent).toEndWith('User: after the crash');
    } finally {
      await h.stop();
    }
  },
  60_000,
);

// MODEL_ALIASES (other vendors' model names served by a real model, answered under the asked
// name) and the client API without its /v1 prefix.

import { afterAll, beforeAll, expect, test } from 'bun:test';
import { ModelCatalog, ModelAliasError, parseModelAliases } from '../../src/conversation/model-catalog.ts';
import { KimiAiChatProvider } from '../../src/providers/kimi-ai-chat/provider.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { MODEL_ALIASES: 'claude-*=kimi-k2-instruct-0905, gpt-4o*=kimi-k2-instruct' } });
});
afterAll(() => h.stop());

test('an aliased model is served by its real model and answered under the name asked for', async () => {
  const res = await h.openai.chat.completions.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] });
  expect(res.model).toBe('claude-sonnet-4-5');
  expect(h.emulator.received.at(-1)!.model).toBe('moonshotai/Kimi-K2-Instruct-0905');
  const other = await h.openai.chat.completions.create({ model: 'GPT-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
  expect(other.model).toBe('GPT-4o-mini');
  expect(h.emulator.received.at(-1)!.model).toBe('moonshotai/Kimi-K2-Instruct');
});

test('/v1/models lists only real models; a model by an alias name answers under that name; others are 404', async () => {
  const list = await h.openai.models.list();
  expect(list.data.map((m) => m.id).sort()).toEqual(['kimi-k2-instruct', 'kimi-k2-instruct-0905']);
  expect((await h.openai.models.retrieve('gpt-4o')).id).toBe('gpt-4o');
  const unknown = await h.call('/v1/chat/completions', { json: { model: 'llama-3', messages: [{ role: 'user', content: 'hi' }] } });
  expect(unknown.status).toBe(404);
  expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('model_not_found');
});

test('the client API answers without /v1 too; unknown endpoints list the supported ones', async () => {
  const chat = await h.call('/chat/completions', { json: { messages: [{ role: 'user', content: 'no prefix' }] } });
  expect(chat.status).toBe(200);
  expect(((await chat.json()) as { object: string }).object).toBe('chat.completion');
  expect((await h.call('/models')).status).toBe(200);
  const nowhere = await h.call('/v1/engines');
  expect(nowhere.status).toBe(404);
  const { error } = (await nowhere.json()) as { error: { code: string; message: string } };
  expect(error.code).toBe('unknown_url');
  expect(error.message).toContain('POST /v1/chat/completions');
  expect(error.message).toContain('POST /v1/messages');
});

test('aliases are checked at start: a broken entry or an unknown target names itself', () => {
  const provider = new KimiAiChatProvider({ baseUrl: 'http://127.0.0.1:9', nonceMaxAgeMs: 60_000 });
  expect(() => parseModelAliases(['claude-*'], provider)).toThrow(ModelAliasError);
  expect(() => parseModelAliases(['claude-*'], provider)).toThrow(/"claude-\*" is not pattern=model/);
  expect(() => parseModelAliases(['gpt-*=gpt-5'], provider)).toThrow(/points at gpt-5, which is not a model/);
  const catalog = new ModelCatalog(provider, parseModelAliases(['a*b=kimi-k2-instruct'], provider));
  expect(catalog.resolve('axxb')?.reported).toBe('axxb');
  expect(catalog.resolve('axxbc')).toBeUndefined();
  // A real name always wins over an alias that would also match it.
  expect(new ModelCatalog(provider, parseModelAliases(['*=kimi-k2-instruct'], provider)).resolve('kimi-k2-instruct-0905')?.model.id).toBe('kimi-k2-instruct-0905');
});

// The models kimi-ai.chat offers: the names clients use and the site's own names.

import type { ModelInfo } from '../provider.ts';

export const MODELS: readonly ModelInfo[] = [
  { id: 'kimi-k2-instruct-0905', upstream: 'moonshotai/Kimi-K2-Instruct-0905', created: 1757030400, ownedBy: 'moonshotai' },
  { id: 'kimi-k2-instruct', upstream: 'moonshotai/Kimi-K2-Instruct', created: 1752192000, ownedBy: 'moonshotai' },
];

export const DEFAULT_MODEL: ModelInfo = MODELS[0]!;

const BY_NAME = new Map<string, ModelInfo>(
  // Clients may also name the upstream model directly (case-insensitively).
  MODELS.flatMap((m) => [
    [m.id, m],
    [m.upstream.toLowerCase(), m],
  ]),
);

export function findModel(name: string): ModelInfo | undefined {
  return BY_NAME.get(name) ?? BY_NAME.get(name.toLowerCase());
}

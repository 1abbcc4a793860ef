// Emulator settings: defaults for EmulatorOptions and validation of runtime config patches.

import type { EmulatorOptions, RuntimeConfig } from './types.ts';

export interface Settings {
  latencyMs: number;
  replyLength: number;
  nonceTtlMs: number;
  staleNonceStyle: 'json' | '403';
  bindNonceToCookie: boolean;
  maxMessageLength: number;
  pageFillerBytes: number;
  nonceLength: number;
  seed: number;
}

const TWELVE_HOURS_MS = 12 * 60 * 60 * 1000;

const NUMERIC_KEYS = ['latencyMs', 'replyLength', 'nonceTtlMs', 'maxMessageLength'] as const;

function checkCount(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
}

export function resolveSettings(options: EmulatorOptions): Settings {
  const nonceLength = checkCount('nonceLength', options.nonceLength ?? 10);
  if (!Number.isInteger(nonceLength) || nonceLength < 1) throw new Error('nonceLength must be a positive integer');
  const settings: Settings = {
    latencyMs: 0,
    replyLength: 200,
    nonceTtlMs: TWELVE_HOURS_MS,
    staleNonceStyle: 'json',
    bindNonceToCookie: options.bindNonceToCookie ?? true,
    maxMessageLength: 1000,
    pageFillerBytes: checkCount('pageFillerBytes', options.pageFillerBytes ?? 60_000),
    nonceLength,
    seed: options.seed ?? 1,
  };
  applyConfigPatch(settings, options);
  return settings;
}

/** Copies the runtime-tunable fields present in `patch`, validating each; throws on bad values. */
export function applyConfigPatch(settings: Settings, patch: Partial<RuntimeConfig>): void {
  // Validate everything before touching settings, so a bad patch changes nothing.
  const next = { ...settings };
  for (const key of NUMERIC_KEYS) {
    const value = patch[key];
    if (value !== undefined) next[key] = checkCount(key, value);
  }
  const style = patch.staleNonceStyle;
  if (style !== undefined) {
    if (style !== 'json' && style !== '403') throw new Error("staleNonceStyle must be 'json' or '403'");
    next.staleNonceStyle = style;
  }
  Object.assign(settings, next);
}

/** Validates an untyped JSON body as a config patch (for the HTTP control endpoint). */
export function parseConfigPatch(value: unknown): Partial<RuntimeConfig> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('config must be a JSON object');
  }
  const raw = value as Record<string, unknown>;
  const patch: Partial<RuntimeConfig> = {};
  for (const key of Object.keys(raw)) {
    const field = raw[key];
    if ((NUMERIC_KEYS as readonly string[]).includes(key)) {
      if (typeof field !== 'number') throw new Error(`${key} must be a number`);
      patch[key as (typeof NUMERIC_KEYS)[number]] = field;
    } else if (key === 'staleNonceStyle') {
      if (field !== 'json' && field !== '403') throw new Error("staleNonceStyle must be 'json' or '403'");
      patch.staleNonceStyle = field;
    } else {
      throw new Error(`unknown config key: ${key}`);
    }
  }
  return patch;
}

// SETTINGS is the one home of each setting's facts: the reader enforces each entry's bounds,
// every default passes its own validation, --help shows defaults and bounds, names are
// unique, and README's Configuration table is the one generated from the table.

import { describe, expect, test } from 'bun:test';
import { defaultWithNote, parseCommandLine, renderHelp, SETTINGS, settingDocs, type Config, type SettingKey } from '../src/config.ts';
import { README_PATH, withSettingsTable } from '../scripts/readme-settings.ts';

/** Keeps the cross-field rules quiet while one setting is probed. */
const QUIET: Record<string, string> = { API_KEYS: 'k', IDLE_TIMEOUT_SECONDS: '255', KEEPALIVE_INTERVAL_MS: '100' };

function configWith(key: SettingKey, value: string): Config {
  const env = { ...QUIET };
  for (const name of SETTINGS[key].env) delete env[name];
  const command = parseCommandLine([], { ...env, [SETTINGS[key].env[0]!]: value });
  if (command.kind !== 'run') throw new Error('expected run');
  return command.config;
}

const entries = Object.entries(SETTINGS) as [SettingKey, (typeof SETTINGS)[SettingKey]][];

describe('SETTINGS', () => {
  test('every whole-number setting takes exactly its bounds', () => {
    for (const [key, s] of entries) {
      if (s.kind !== 'int') continue;
      expect({ key, min: configWith(key, String(s.min))[key as keyof Config] }).toEqual({ key, min: s.min });
      expect({ key, max: configWith(key, String(s.max))[key as keyof Config] }).toEqual({ key, max: s.max });
      expect(() => configWith(key, String(s.max + 1))).toThrow(`${s.env[0]}: "${s.max + 1}" is not a whole number between ${s.min} and ${s.max}.`);
      if (s.min > 0) expect(() => configWith(key, String(s.min - 1))).toThrow(`between ${s.min} and ${s.max}`);
    }
  });

  test('every default passes its own validation and reads back as itself', () => {
    let checked = 0;
    for (const [key, s] of entries) {
      if (s.default === null || Array.isArray(s.default)) continue; // unset = none
      const text = typeof s.default === 'boolean' ? (s.default ? 'on' : 'off') : String(s.default);
      expect({ key, value: configWith(key, text)[key as keyof Config] }).toEqual({ key, value: s.default });
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  test('--help shows every setting with its names, default and allowed values', () => {
    const help = renderHelp('1.2.3');
    for (const d of settingDocs()) {
      for (const name of [d.flag, ...d.env]) if (name) expect(help).toContain(name);
      expect(help).toContain(`${d.help}\n`);
      expect(help).toContain(`default: ${defaultWithNote(d)}${d.allowed ? `; allowed: ${d.allowed}` : ''}\n`);
    }
    expect(help).toContain('default: 30; allowed: 5-255');
  });

  test('every flag and environment variable names one setting', () => {
    const names = entries.flatMap(([, s]) => ['flag' in s ? s.flag : null, ...s.env].filter((n): n is string => n !== null));
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  test("README's Configuration table is the one generated from SETTINGS", async () => {
    const readme = await Bun.file(README_PATH).text();
    const fix = "README.md's settings table differs from SETTINGS in src/config.ts: run `bun scripts/readme-settings.ts --write` and commit README.md";
    expect({ upToDate: withSettingsTable(readme) === readme, fix }).toEqual({ upToDate: true, fix });
  });
});

// README.md's Configuration table, generated from SETTINGS in src/config.ts (the one home of
// each setting's names, default, bounds and help). `bun scripts/readme-settings.ts --write`
// rewrites the table between its markers; test/config-settings.test.ts fails while it is stale.

import { join } from 'node:path';
import { defaultWithNote, settingDocs } from '../src/config.ts';

export const README_PATH = join(import.meta.dir, '..', 'README.md');
export const TABLE_START = '<!-- settings table: generated from src/config.ts by `bun scripts/readme-settings.ts --write` -->';
export const TABLE_END = '<!-- end of settings table -->';

const code = (value: string): string => `\`${value}\``;
const cell = (value: string): string => value.replaceAll('|', '\\|');

/** The table's markdown, header included. */
export function settingsTable(): string {
  const rows = settingDocs().map((d) => {
    const [first, ...older] = d.env.map(code);
    const env = older.length ? `${first} (or ${older.join(', ')})` : (first ?? '');
    return `| ${d.flag ? code(d.flag) : ''} | ${env} | ${cell(defaultWithNote(d, code))} | ${cell(d.allowed ?? '')} | ${cell(d.help)} |`;
  });
  return ['| flag | environment | default | allowed | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** README's text with the table between the markers replaced; throws when the markers are missing. */
export function withSettingsTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no settings table markers (${TABLE_START} ... ${TABLE_END})`);
  return `${readme.slice(0, start + TABLE_START.length)}\n${settingsTable()}\n${readme.slice(end)}`;
}

if (import.meta.main) {
  if (process.argv.includes('--write')) {
    const readme = await Bun.file(README_PATH).text();
    const updated = withSettingsTable(readme);
    await Bun.write(README_PATH, updated);
    console.log(updated === readme ? 'README.md: settings table already up to date' : 'README.md: settings table rewritten');
  } else {
    console.log(settingsTable());
  }
}

// bun run build → dist/kimi-gateway (one self-contained executable) + its SHA-256.
// Flags, from BUN-NOTES: --bytecode --format=esm halve start-up; only whitespace and
// syntax minification (identifier renaming breaks @elysiajs/bearer); --production fixes
// NODE_ENV; bunfig.toml autoload off so a stray bunfig in the working directory cannot
// change the binary (.env autoload stays on: the seed's users configure with .env).

import { $ } from 'bun';
import { mkdir } from 'node:fs/promises';

const outfile = 'dist/kimi-gateway';
await mkdir('dist', { recursive: true });
await $`bun build src/main.ts --compile --production --bytecode --format=esm --minify-whitespace --minify-syntax --no-compile-autoload-bunfig --outfile ${outfile}`;
const digest = new Bun.CryptoHasher('sha256').update(await Bun.file(outfile).arrayBuffer()).digest('hex');
await Bun.write(`${outfile}.sha256`, `${digest}  kimi-gateway\n`);
console.log(`built ${outfile} (${((await Bun.file(outfile).size) / 1_048_576).toFixed(1)} MiB), sha256 ${digest}`);

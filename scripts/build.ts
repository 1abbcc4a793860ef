// bun run build → dist/kimi-gateway (one self-contained executable) + its SHA-256.
// Flags (docs/BUILD.md has the measurements):
// - --bytecode --format=esm: start-up to the first answered request ~105 → ~40 ms (measured).
// - --minify-whitespace --minify-syntax, and NOT --minify / --minify-identifiers / --production:
//   Elysia compiles each route ahead of time from its handlers' source text (Function.toString)
//   to decide which parts of the request to parse. Renamed destructured parameters
//   (`{query:i,headers:{authorization:t}}` in @elysiajs/bearer) defeat that inference, the
//   query is never parsed, and every request without "Authorization: Bearer" answered 500.
//   `new Elysia({ aot: false })` avoids it too, but costs ~16 % on /v1/models (less on chat) and
//   brings its own bugs (body read before auth, misrouting with a short Host header).
//   (--production adds nothing else here: its NODE_ENV define matches no code in the bundle;
//   Elysia reads Bun.env.NODE_ENV at run time.)
// - --compile-exec-argv=--max-http-header-size=65536: Bun's parser answers heads over its limit
//   with an empty 431 before any JavaScript runs; above the gateway's own 16 KiB, the gateway
//   answers them itself (OpenAI's shape, CORS, request id). Built in, it costs nothing at start-up.
// - bunfig.toml autoload off, so a stray bunfig in the working directory cannot change the
//   binary (.env autoload stays on: users configure with .env).

import { $ } from 'bun';
import { mkdir } from 'node:fs/promises';
import { HEADER_SIZE_FLAG } from '../src/http/request-limits.ts';

const outfile = 'dist/kimi-gateway';
await mkdir('dist', { recursive: true });
await $`bun build src/main.ts --compile --bytecode --format=esm --minify-whitespace --minify-syntax --compile-exec-argv=${HEADER_SIZE_FLAG} --no-compile-autoload-bunfig --outfile ${outfile}`;
const digest = new Bun.CryptoHasher('sha256').update(await Bun.file(outfile).arrayBuffer()).digest('hex');
await Bun.write(`${outfile}.sha256`, `${digest}  kimi-gateway\n`);
console.log(`built ${outfile} (${((await Bun.file(outfile).size) / 1_048_576).toFixed(1)} MiB), sha256 ${digest}`);

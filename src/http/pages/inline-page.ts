// The frame of the gateway's self-contained pages (dashboard, API docs): one HTML
// document with its style and script inline, and a Content-Security-Policy that allows
// exactly those (by hash) and nothing from elsewhere. Each page is prepared once, on its
// first request: the browser script compiled from TypeScript, the document and headers built.

const sha256 = (text: string): string => new Bun.CryptoHasher('sha256').update(text).digest('base64');

export interface InlinePage {
  title: string;
  /** The stylesheet (a .css file's text). */
  css: string;
  /** The body's markup (an .html file's text). */
  body: string;
  /** The browser script as TypeScript (a .ts file's text): compiled here, see pageScript. */
  typescript: string;
  /** Inserted before the script, e.g. a JSON data block (never executed). */
  data?: string;
  /** The page fetches from its own origin. */
  connectSelf?: boolean;
  cacheControl: string;
}

export interface PreparedPage {
  html: string;
  headers: Readonly<Record<string, string>>;
  /** The inline script as served (its hash is in the CSP). */
  script: string;
}

/**
 * TypeScript → the page's inline script: types stripped (Bun's transpiler; the page imports
 * types only), wrapped in a strict function scope, non-ASCII written as \u escapes (the
 * transpiler turns escapes into literal characters; ASCII survives any mislabelled charset).
 */
export function pageScript(typescript: string): string {
  const js = new Bun.Transpiler({ loader: 'ts' }).transformSync(typescript);
  if (/^\s*(import|export)\b/m.test(js)) throw new Error('a page script runs as a classic script: it may import types only, and export nothing');
  const ascii = js.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `\n(() => {\n'use strict';\n${ascii}})();\n`;
}

export function preparePage(page: InlinePage): PreparedPage {
  const script = pageScript(page.typescript);
  // The files end with a newline; the document starts each on a line of its own.
  const style = `\n${page.css}`;
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${sha256(script)}'`,
    `style-src 'sha256-${sha256(style)}'`,
    ...(page.connectSelf ? ["connect-src 'self'"] : []),
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>${page.title}</title>
<link rel="icon" href="data:,">
<style>${style}</style>
</head>
<body>
${page.body}${page.data ?? ''}<script>${script}</script>
</body>
</html>
`;
  const headers = {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': csp,
    'Cache-Control': page.cacheControl,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  };
  return { html, headers, script };
}

/** A page prepared on first use, then served from memory. */
export function lazyPage(page: InlinePage): () => Response {
  let prepared: PreparedPage | undefined;
  return () => {
    prepared ??= preparePage(page);
    return new Response(prepared.html, { headers: prepared.headers });
  };
}

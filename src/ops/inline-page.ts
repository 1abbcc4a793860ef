// The frame of the gateway's self-contained pages (dashboard, API docs): one HTML
// document with its style and script inline, and a Content-Security-Policy that allows
// exactly those (by hash) and nothing from elsewhere.

const sha256 = (text: string): string => new Bun.CryptoHasher('sha256').update(text).digest('base64');

export interface InlinePage {
  title: string;
  css: string;
  body: string;
  script: string;
  /** Inserted before the script, e.g. a JSON data block (never executed). */
  data?: string;
  /** The page fetches from its own origin. */
  connectSelf?: boolean;
  cacheControl: string;
}

export function inlinePageHtml(page: InlinePage): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>${page.title}</title>
<link rel="icon" href="data:,">
<style>${page.css}</style>
</head>
<body>${page.body}${page.data ?? ''}<script>${page.script}</script>
</body>
</html>
`;
}

export function inlinePageCsp(page: InlinePage): string {
  return [
    "default-src 'none'",
    `script-src 'sha256-${sha256(page.script)}'`,
    `style-src 'sha256-${sha256(page.css)}'`,
    ...(page.connectSelf ? ["connect-src 'self'"] : []),
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function inlinePageHeaders(page: InlinePage): Readonly<Record<string, string>> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': inlinePageCsp(page),
    'Cache-Control': page.cacheControl,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  };
}

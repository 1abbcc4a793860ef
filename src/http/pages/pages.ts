// The gateway's two pages, GET /dashboard and GET /docs: each an .html body, a .css
// stylesheet and a .ts browser script in this folder, embedded in the binary as text
// imports and framed by inline-page.ts (one document, CSP by hash), prepared on first request.
// The .html and .css files carry no header comment: their bytes are served as they are.

import * as dashboardCss from './dashboard.css' with { type: 'text' };
import * as dashboardHtml from './dashboard.html' with { type: 'text' };
import * as dashboardScript from './dashboard.ts' with { type: 'text' };
import * as docsCss from './docs.css' with { type: 'text' };
import * as docsHtml from './docs.html' with { type: 'text' };
import * as docsScript from './docs.ts' with { type: 'text' };
import { lazyPage } from './inline-page.ts';

/**
 * A text import's content. TypeScript 7.0 types these imports by file extension (an
 * HTMLBundle for .html, the module itself for .ts; 7.1 reads the `type` attribute); Bun
 * gives the file's text as the default export, from source and in the compiled binary.
 */
function textOf(imported: object): string {
  const text: unknown = Reflect.get(imported, 'default');
  if (typeof text !== 'string') throw new Error('a page asset was not imported as text');
  return text;
}

/** The operator dashboard (admin-api.ts serves it behind ADMIN_KEY). */
export const dashboardPage: () => Response = lazyPage({
  title: 'kimi-gateway &middot; dashboard',
  css: textOf(dashboardCss),
  body: textOf(dashboardHtml),
  typescript: textOf(dashboardScript),
  connectSelf: true,
  cacheControl: 'no-store',
});

/**
 * The API description, rendered in the browser from the OpenAPI document embedded in the page
 * (docs-route.ts passes the JSON it serves at /docs/openapi.json).
 */
export function createDocsPage(openApiJson: string): () => Response {
  // A <script type="application/json"> data block: no "<" can end it early, the CSP's
  // script hash does not cover it, and it is never executed.
  const embedded = openApiJson.replaceAll('<', '\\u003c');
  return lazyPage({
    title: 'kimi-gateway &middot; API',
    css: textOf(docsCss),
    body: textOf(docsHtml),
    data: `<script type="application/json" id="openapi">${embedded}</script>\n`,
    typescript: textOf(docsScript),
    cacheControl: 'no-cache',
  });
}

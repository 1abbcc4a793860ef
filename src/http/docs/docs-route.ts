// GET /docs/openapi.json (the OpenAPI 3.1 document for the provider's models, serialised
// once) and GET /docs (the page that renders it: src/http/pages/).

import type { ModelInfo } from '../../providers/provider.ts';
import { CORS_HEADERS } from '../cors.ts';
import { createDocsPage } from '../pages/pages.ts';
import { openApiDocument } from './openapi.ts';

const JSON_HEADERS: Readonly<Record<string, string>> = { ...CORS_HEADERS, 'Content-Type': 'application/json' };

export function docsResponses(models: readonly ModelInfo[]): { page: () => Response; document: () => Response } {
  const json = JSON.stringify(openApiDocument(models));
  return { page: createDocsPage(json), document: () => new Response(json, { headers: JSON_HEADERS }) };
}

// GET /docs/openapi.json (the OpenAPI 3.1 document, serialised once) and GET /docs (the
// page that renders it: src/http/pages/).

import { CORS_HEADERS } from '../cors.ts';
import { createDocsPage } from '../pages/pages.ts';
import { OPENAPI_JSON } from './openapi.ts';

export const docsPage: () => Response = createDocsPage(OPENAPI_JSON);

const JSON_HEADERS: Readonly<Record<string, string>> = { ...CORS_HEADERS, 'Content-Type': 'application/json' };

export function openApiResponse(): Response {
  return new Response(OPENAPI_JSON, { headers: JSON_HEADERS });
}

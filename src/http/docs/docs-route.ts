// GET /docs/openapi.json (the OpenAPI 3.1 document for the provider's models) and GET /docs
// (the page that renders it: src/http/pages/). Both are built on first use, then kept:
// most gateways never serve them, and their ~0.3 MB need not sit in every process.

import type { ModelInfo } from '../../providers/provider.ts';
import { CORS_HEADERS } from '../cors.ts';
import { createDocsPage } from '../pages/pages.ts';
import { openApiDocument } from './openapi.ts';

const JSON_HEADERS: Readonly<Record<string, string>> = { ...CORS_HEADERS, 'Content-Type': 'application/json' };

export function docsResponses(models: readonly ModelInfo[]): { page: () => Response; document: () => Response } {
  let json: string | null = null;
  let page: (() => Response) | null = null;
  const document = () => (json ??= JSON.stringify(openApiDocument(models)));
  return {
    page: () => (page ??= createDocsPage(document()))(),
    document: () => new Response(document(), { headers: JSON_HEADERS }),
  };
}

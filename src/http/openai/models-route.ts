// GET /v1/models and /v1/models/{id}: the provider's models, bodies built once.

import type { ModelCatalog } from '../../conversation/model-catalog.ts';
import type { ModelInfo } from '../../providers/provider.ts';
import { jsonResponse, rawJsonResponse } from '../responses.ts';
import { readModel } from './chat-request.ts';

const modelObject = (m: ModelInfo) => ({ id: m.id, object: 'model', created: m.created, owned_by: m.ownedBy });

export function modelResponses(catalog: ModelCatalog) {
  const list = JSON.stringify({ object: 'list', data: catalog.models.map(modelObject) });
  const one = new Map(catalog.models.map((m) => [m.id, JSON.stringify(modelObject(m))]));
  return {
    list: (): Response => rawJsonResponse(list),
    /** 404 model_not_found for an unknown id; the site's own names find theirs; an alias answers under its own name. */
    one: (id: string): Response => {
      const { model, reported } = readModel(id, catalog);
      return reported === model.id ? rawJsonResponse(one.get(model.id)!) : jsonResponse({ ...modelObject(model), id: reported });
    },
  };
}

// GET /v1/models and /v1/models/{id}: bodies are built once.

import { clientText, GatewayError } from '../../errors.ts';
import { MODELS, findModel } from '../../conversation/models.ts';
import { rawJsonResponse } from '../responses.ts';

const modelObject = (m: (typeof MODELS)[number]) => ({ id: m.id, object: 'model', created: m.created, owned_by: 'moonshotai' });

const LIST = JSON.stringify({ object: 'list', data: MODELS.map(modelObject) });
const ONE = new Map(MODELS.map((m) => [m.id, JSON.stringify(modelObject(m))]));

export const listModels = (): Response => rawJsonResponse(LIST);

export function getModel(id: string): Response {
  const model = findModel(id);
  const body = model && ONE.get(model.id);
  if (!body) throw new GatewayError('model_not_found', `The model ${clientText(id)} does not exist. Available models: ${MODELS.map((m) => m.id).join(', ')}.`, { param: 'model' });
  return rawJsonResponse(body);
}

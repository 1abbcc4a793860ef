// The models clients may name: the provider's, by their id or the site's own name, and
// MODEL_ALIASES — `pattern=model` pairs with `*` wildcards, so clients that hard-code
// another vendor's model names (claude-*, gpt-4o*) work. An aliased request is served by
// the real model and answered under the name the client asked for; lists show real models.

import type { ModelInfo, Provider } from '../providers/provider.ts';

export interface ModelAlias {
  pattern: string;
  /** The real model it stands for. */
  model: ModelInfo;
}

/** A client's model name, resolved: the model that serves it and the name to answer with. */
export interface ResolvedModel {
  model: ModelInfo;
  reported: string;
}

export class ModelAliasError extends Error {
  override name = 'ModelAliasError';
}

export class ModelCatalog {
  readonly models: readonly ModelInfo[];
  readonly defaultModel: ModelInfo;
  private readonly aliases: Array<{ match: RegExp; model: ModelInfo }>;

  constructor(
    private readonly provider: Pick<Provider<unknown>, 'models' | 'defaultModel' | 'findModel'>,
    aliases: readonly ModelAlias[] = [],
  ) {
    this.models = provider.models;
    this.defaultModel = provider.defaultModel;
    this.aliases = aliases.map((a) => ({ match: wildcard(a.pattern), model: a.model }));
  }

  /** A real model by its id or the site's name (aliases excluded: for labels and lists). */
  findModel(name: string): ModelInfo | undefined {
    return this.provider.findModel(name);
  }

  /** A model by any name a client may use: real names first, then the aliases in their order. */
  resolve(name: string): ResolvedModel | undefined {
    const real = this.provider.findModel(name);
    if (real) return { model: real, reported: real.id };
    const alias = this.aliases.find((a) => a.match.test(name));
    return alias ? { model: alias.model, reported: name } : undefined;
  }
}

/** MODEL_ALIASES entries ("claude-*=kimi-k2-instruct-0905") against the provider's models. */
export function parseModelAliases(entries: readonly string[], provider: Pick<Provider<unknown>, 'models' | 'findModel'>): ModelAlias[] {
  return entries.map((entry) => {
    const eq = entry.indexOf('=');
    const pattern = entry.slice(0, eq).trim();
    const target = entry.slice(eq + 1).trim();
    if (eq <= 0 || pattern === '' || target === '') {
      throw new ModelAliasError(`MODEL_ALIASES: "${entry}" is not pattern=model (e.g. claude-*=${provider.models[0]?.id ?? 'model'}).`);
    }
    const model = provider.findModel(target);
    if (!model) throw new ModelAliasError(`MODEL_ALIASES: "${entry}" points at ${target}, which is not a model (${provider.models.map((m) => m.id).join(', ')}).`);
    return { pattern, model };
  });
}

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
}

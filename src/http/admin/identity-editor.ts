// Identities managed over the admin API: add, change, remove (written to the account file,
// then applied to the pool the way a reload is), one identity's settings for an edit form,
// and a probe of an unsaved identity. Bodies carry the account file's identity fields and
// are validated by the file's own reader; cookies and proxy credentials are never echoed.

import { checkIdentity, type StepResult } from '../../chat/identity-check.ts';
import { clientText, GatewayError, invalidRequest } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { identityView } from '../../ops/identity-view.ts';
import { AccountsFileError, identityFieldNames, isCommentKey, parseAccounts, redactProxy } from '../../pool/accounts-file.ts';
import { addEntry, findEntry, patchEntry, removeEntry, type AccountsDocument, type AccountsEdit, type AccountsFileStore } from '../../pool/accounts-writer.ts';
import type { IdentityConfig } from '../../pool/identity-config.ts';
import type { IdentityPool } from '../../pool/identity-pool.ts';
import type { PoolMember } from '../../pool/pool-member.ts';
import type { Provider } from '../../providers/provider.ts';
import { readJsonBody } from '../read-body.ts';
import { jsonResponse } from '../responses.ts';

/** Bodies are a handful of fields; a Cookie header is a few KiB at most. */
const BODY_LIMIT_BYTES = 64 * 1024;
const DETAIL_MAX = 200;

export interface IdentityEditorDeps {
  /** null: the gateway runs without an account file (the one anonymous identity). */
  accounts: AccountsFileStore | null;
  /** Applies a new identity list to the pool, as a reload does. */
  applyAccounts: (identities: readonly IdentityConfig[]) => ReturnType<IdentityPool<unknown>['reload']>;
  pool: IdentityPool<unknown>;
  provider: Provider<unknown>;
  log: Logger;
  probeTimeoutMs: number;
}

export class IdentityEditor {
  constructor(private readonly deps: IdentityEditorDeps) {}

  /** GET /admin/identities/{id}: the live view and the settings an edit form starts from. */
  get(id: string): Response {
    return jsonResponse(this.describe(this.liveMember(id)));
  }

  /** POST /admin/identities → 201. */
  async add(request: Request): Promise<Response> {
    const accounts = this.requireAccounts();
    const { id, fields } = readNewIdentity(await readBody(request));
    const answer = await this.change(accounts, addEntry(id, fields), id, fields, () => this.describe(this.liveMember(id)));
    this.deps.log.info('identity added over the admin API', { identity: id, fields: Object.keys(fields).join(',') });
    return jsonResponse(answer, 201);
  }

  /** PATCH /admin/identities/{id}: the fields given change, null removes one (its default applies), the rest stays. */
  async patch(id: string, request: Request): Promise<Response> {
    const accounts = this.requireAccounts();
    const fields = readChanges(await readBody(request), id);
    if (Object.keys(fields).length === 0) {
      throw invalidRequest('Nothing to change: send the fields to change, e.g. {"cookies": "name=value; …"} (null removes a field, so its default applies).');
    }
    const answer = await this.change(accounts, patchEntry(id, fields), id, fields, () => {
      const member = this.liveMember(id);
      // Switched on explicitly: also ends an operator's disable (POST …/disable), which the file does not record.
      if (fields.enabled === true && member.health.state.kind === 'disabled') this.deps.pool.enable(id);
      return this.describe(member);
    });
    this.deps.log.info('identity changed over the admin API', { identity: id, fields: Object.keys(fields).join(',') });
    return jsonResponse(answer);
  }

  /** DELETE /admin/identities/{id}: leaves the pool as a reload's removal does (its requests in flight finish). */
  async remove(id: string): Promise<Response> {
    const accounts = this.requireAccounts();
    const inFlight = await this.change(accounts, removeEntry(id), id, {}, () => this.deps.pool.list().find((m) => m.id === id && m.removed)?.inFlight ?? 0);
    this.deps.log.info('identity removed over the admin API', { identity: id, in_flight: inFlight });
    return jsonResponse({ id, deleted: true, inFlight });
  }

  /**
   * POST /admin/identities/probe[?base=id]: checks an identity that is not saved and never joins
   * the pool — its chat page and nonce, then one tiny message with no retry. The body is what
   * POST /admin/identities would take, or with `base` what PATCH /admin/identities/{base} would.
   */
  async probe(request: Request): Promise<Response> {
    const base = new URL(request.url).searchParams.get('base');
    const body = await readBody(request);
    const doc = this.document();
    const trial: AccountsDocument = { identities: [] };
    if (doc.defaults !== undefined) trial.defaults = doc.defaults;
    let id: string;
    let fields: Record<string, unknown>;
    if (base !== null) {
      fields = readChanges(body, base);
      const entry = findEntry(doc, base);
      if (!entry) throw new GatewayError('identity_not_found', `No identity ${clientText(base)} to start from (base). GET /admin/identities lists them.`, { param: 'base' });
      trial.identities.push(entry);
      patchEntry(base, fields)(trial);
      id = base;
    } else {
      ({ id, fields } = readNewIdentity(body));
      addEntry(id, fields)(trial);
    }
    let config: IdentityConfig;
    try {
      config = parseAccounts(trial, 'probe')[0]!;
    } catch (error) {
      throw refused(error, 'The identity cannot be probed', ['id', ...Object.keys(fields)]);
    }
    const result = await checkIdentity(this.deps.provider, { ...config, enabled: true }, {
      send: true,
      timeoutMs: this.deps.probeTimeoutMs,
      detailMax: DETAIL_MAX,
      signal: request.signal,
    });
    const message = result.send!;
    return jsonResponse({
      id,
      saved: false,
      ok: result.works,
      proxy: redactProxy(config.proxy),
      page: result.page,
      message,
      summary: `${result.works ? 'works' : 'FAILS'}: chat page and nonce ${stepText(result.page)}; message ${stepText(message)}`,
    });
  }

  /**
   * Writes the edit to the file, applies the file's identities to the pool, then runs `then` —
   * all before the next edit or reload, so the answer shows the pool this edit made.
   */
  private async change<R>(accounts: AccountsFileStore, edit: AccountsEdit, id: string, fields: Record<string, unknown>, then: () => R): Promise<R> {
    try {
      return await accounts.edit(edit, (identities) => {
        this.deps.applyAccounts(identities);
        return then();
      });
    } catch (error) {
      throw refused(error, `Identity ${clientText(id)} was not saved`, ['id', ...Object.keys(fields)]);
    }
  }

  private requireAccounts(): AccountsFileStore {
    if (this.deps.accounts) return this.deps.accounts;
    throw new GatewayError(
      'no_accounts_file',
      'The gateway runs without an account file (one anonymous identity), so identities cannot be added, changed or removed here. ' +
        'Start it with ACCOUNTS_FILE=/path/to/accounts.json (or --accounts FILE): accounts.example.json shows the format. Changes made here are written to that file.',
    );
  }

  /** The account file's JSON, or without one a stand-in holding the anonymous identity. */
  private document(): AccountsDocument {
    return this.deps.accounts?.document() ?? { identities: this.deps.pool.list().filter((m) => !m.removed).map((m) => ({ id: m.id })) };
  }

  private liveMember(id: string): PoolMember<unknown> {
    const member = this.deps.pool.list().find((m) => m.id === id && !m.removed);
    if (!member) throw new GatewayError('identity_not_found', `No identity ${clientText(id)} in the pool. GET /admin/identities lists them.`);
    return member;
  }

  private describe(member: PoolMember<unknown>) {
    const now = Date.now();
    const entry = findEntry(this.document(), member.id);
    return { identity: identityView(member, now, this.deps.provider.credentialAgeMs(member.state, now)), settings: settingsOf(member.config, entry) };
  }
}

/**
 * What an edit form shows: the identity's settings in effect, secrets replaced (hasCookies;
 * the proxy masked), and which of them it does not set itself (`inherited`: from the file's
 * "defaults" or the built-in ones). Fields added to IdentityConfig appear as they are.
 */
function settingsOf(config: IdentityConfig, entry: Record<string, unknown> | undefined) {
  const { id, cookies, proxy, userAgent, ...rest } = config;
  const own = (key: string) => entry !== undefined && entry[key] !== undefined && entry[key] !== null && entry[key] !== '';
  const inherited = ['userAgent', ...Object.keys(rest)].filter((key) => !own(key));
  return { id, hasCookies: Boolean(cookies), proxy: redactProxy(proxy), userAgent: userAgent ?? null, ...rest, inherited };
}

async function readBody(request: Request): Promise<unknown> {
  if (request.body === null || request.headers.get('content-length') === '0') {
    throw invalidRequest('The request body is empty: send a JSON object with the identity\'s fields, e.g. {"id": "acc-3", "cookies": "name=value; …"}.');
  }
  return readJsonBody(request, BODY_LIMIT_BYTES);
}

/** A new identity's body: its id (required) and its other fields as given. */
function readNewIdentity(body: unknown): { id: string; fields: Record<string, unknown> } {
  const { id, fields } = readIdentityBody(body);
  if (id === null) throw invalidRequest('"id" is required: a non-empty string naming the identity (shown in logs and admin output).', 'id');
  return { id, fields };
}

/** A change's body: the fields to change; it may repeat the identity's id but never change it. */
function readChanges(body: unknown, pathId: string): Record<string, unknown> {
  const { id, fields } = readIdentityBody(body);
  if (id !== null && id !== pathId) {
    throw invalidRequest(`An identity cannot be renamed (its state is kept under its id): remove ${clientText(pathId)} and add ${clientText(id)} instead.`, 'id');
  }
  return fields;
}

/**
 * The body's shape: `id` apart, every key an identity field or a comment key. The values are
 * checked afterwards by the account file's reader.
 */
function readIdentityBody(body: unknown): { id: string | null; fields: Record<string, unknown> } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest(`The body must be a JSON object with the identity's fields (got ${clientText(body)}).`);
  }
  const known = identityFieldNames();
  let id: string | null = null;
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'id') {
      if (typeof value !== 'string' || value.trim() === '') throw invalidRequest('"id" must be a non-empty string naming the identity (shown in logs and admin output).', 'id');
      id = value.trim();
    } else if (known.includes(key) || isCommentKey(key)) {
      Object.defineProperty(fields, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      throw invalidRequest(`Unknown field ${clientText(key)}. An identity has: ${known.join(', ')} (keys starting with _ or $ are comments).`, key.slice(0, 64));
    }
  }
  return { id, fields };
}

/** The account file reader's refusal as a 400 naming the field (the first body key the problem names). */
function refused(error: unknown, what: string, keys: string[]): unknown {
  if (!(error instanceof AccountsFileError)) return error;
  const problem = error.problem ?? error.message;
  // After `identity "<id>": ` come the field names the problem is about.
  const about = problem.replace(/^identity ".*?": /s, '');
  const named = keys.map((key) => ({ key, at: about.indexOf(`"${key}"`) })).filter((k) => k.at >= 0);
  named.sort((a, b) => a.at - b.at);
  return invalidRequest(`${what}: ${about}.`, named[0]?.key ?? null);
}

function stepText(step: StepResult): string {
  if (step.ok === true) return `ok in ${step.ms} ms`;
  if (step.ok === null) return step.why;
  return step.detail ? `${step.kind}: ${step.detail}` : step.kind;
}

// The operator dashboard's browser script (served inline by pages.ts, compiled to JavaScript
// once per process): the site canary's banner, the identities table, its actions and the
// add/edit form, the activity chart and recent requests, and the chat playground. Data comes
// from same-origin fetches of /admin/* (the browser re-sends the page's Basic credentials)
// and /v1/* (Bearer key). Every dynamic value goes in through textContent / createElement,
// never innerHTML; cookies and proxy passwords are only ever typed in, never read back.
// Runs in the browser only: import types, nothing else (the page cannot load modules).

import type { CanaryView } from '../../chat/canary/site-canary.ts';
import type { StepResult } from '../../chat/identity-check.ts';
import type { ActivityRequest, ActivitySnapshot } from '../../ops/activity-feed.ts';
import type { IdentityView } from '../../ops/identity-view.ts';

/** GET /admin/identities (admin-api.ts). */
interface IdentityList {
  now: number;
  queueDepth: number;
  identities: IdentityView[];
}

/** GET /admin/identities/{id} (identity-editor.ts): the live view and the settings in effect, secrets replaced. */
interface IdentityDetail {
  identity: IdentityView;
  settings: IdentitySettings;
}
interface IdentitySettings {
  id: string;
  hasCookies: boolean;
  /** Masked (user name and password as ***). */
  proxy: string | null;
  userAgent: string | null;
  enabled: boolean;
  /** The settings the identity does not set itself (from the file's defaults or built in). */
  inherited: string[];
  [limit: string]: unknown;
}
/** POST /admin/identities/probe. */
interface ProbeAnswer {
  id: string;
  ok: boolean;
  page: StepResult;
  message: StepResult;
  summary: string;
}

/** The parts of OpenAI's chat answers the playground reads. */
interface ChatChoice {
  message?: { content?: unknown };
  delta?: { content?: unknown };
  finish_reason?: string | null;
}
interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
}
interface ChatAnswer {
  choices?: ChatChoice[];
  usage?: ChatUsage | null;
  error?: { message?: string };
}
interface ChatPayload {
  messages: { role: 'user'; content: string }[];
  stream: boolean;
  model?: string;
  stream_options?: { include_usage: boolean };
}

const IDENTITIES_EVERY_MS = 2000;
const ACTIVITY_EVERY_MS = 5000;
const CANARY_EVERY_MS = 5000;
const ACTIVITY_MINUTES = 15;
const KEY_STORAGE = 'kimi-gateway.playground.apiKey';
const SVG_NS = 'http://www.w3.org/2000/svg';

// ---- helpers -------------------------------------------------------------
/** The element with this id, of this type (the page's own markup: a miss is a bug). */
function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const e = document.getElementById(id);
  if (!(e instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return e;
}
const $ = (id: string): HTMLElement => byId(id, HTMLElement);

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string | number | null): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const k of Object.keys(attrs)) e.setAttribute(k, String(attrs[k]));
  return e;
}
const pad2 = (n: number): string => String(n).padStart(2, '0');
/** "1 identity", "2 identities", "0 requests". */
function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  ms = Math.max(0, ms);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad2(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${pad2(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
function fmtClock(epochMs: number, withSeconds: boolean): string {
  const d = new Date(epochMs);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}${withSeconds ? `:${pad2(d.getSeconds())}` : ''}`;
}
function fmtAgo(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return ms < 1000 ? 'just now' : `${fmtDuration(ms)} ago`;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { error: { message: text.slice(0, 300) } };
  }
}
function messageOf(body: unknown, res: Response): string {
  if (isRecord(body) && isRecord(body.error) && typeof body.error.message === 'string') return body.error.message;
  if (isRecord(body) && typeof body.message === 'string') return body.message;
  return `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
}
async function adminFetch(path: string, method?: 'POST' | 'PATCH' | 'DELETE', json?: unknown): Promise<{ res: Response; body: unknown }> {
  const headers: Record<string, string> = { accept: 'application/json', 'x-requested-with': 'kimi-dashboard' };
  if (json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: method || 'GET',
    credentials: 'same-origin',
    cache: 'no-store',
    headers,
    body: json === undefined ? null : JSON.stringify(json),
  });
  const body = await readJson(res);
  return { res, body };
}
function errorMessage(error: unknown): string {
  return isRecord(error) && typeof error.message === 'string' && error.message ? error.message : String(error);
}
function describeFailure(error: unknown): string {
  if (error instanceof HttpError && error.status === 401) return 'admin credentials refused: reload the page and sign in again (password = ADMIN_KEY)';
  if (error instanceof HttpError) return `HTTP ${error.status}: ${error.message}`;
  return `cannot reach the gateway (${errorMessage(error)})`;
}
function setBanner(id: string, text: string): void {
  const e = $(id);
  e.hidden = !text;
  e.textContent = text || '';
}
function setConnection(ok: boolean, text: string): void {
  const c = $('conn');
  c.classList.toggle('down', !ok);
  c.textContent = text;
}
// Polls fn every periodMs, never overlapping, skipping while the tab is hidden. The
// returned function polls now (or right after the poll in flight).
function poll(fn: () => Promise<void>, periodMs: number): () => Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let again = false;
  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    clearTimeout(timer);
    try {
      do {
        again = false;
        if (!document.hidden) await fn();
      } while (again);
    } finally {
      running = false;
      timer = setTimeout(run, periodMs);
    }
  };
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) run();
  });
  run();
  return run;
}

// ---- identities ----------------------------------------------------------
interface Row {
  tr: HTMLTableRowElement;
  cells: ReturnType<typeof rowCells>;
  toggle: HTMLButtonElement;
  buttons: HTMLButtonElement[];
}
const rows = new Map<string, Row>();
const pending = new Set<string>(); // ids with an action in flight

/** The row's cells, appended to it in column order. */
function rowCells(tr: HTMLTableRowElement, id: string) {
  const add = (className?: string): HTMLTableCellElement => {
    const td = el('td', className);
    tr.append(td);
    return td;
  };
  const proxy = el('span', 'reason mono');
  add().append(el('span', 'mono', id), proxy);
  const badge = el('span', 'badge');
  const reason = el('span', 'reason');
  add().append(badge, reason);
  return {
    proxy,
    badge,
    reason,
    since: add(),
    cooldown: add(),
    inflight: add('num'),
    requests: add('num'),
    success: add('num'),
    failures: add('wrap'),
    latency: add('num'),
    nonce: add('num'),
    lastError: add('wrap'),
    actions: add(),
  };
}

function buildRow(id: string): Row {
  const tr = el('tr');
  tr.dataset.identity = id;
  const cells = rowCells(tr, id);
  const actions = el('div', 'actions');
  const button = (action: string, label: string, title: string): HTMLButtonElement => {
    const b = el('button', '', label);
    b.type = 'button';
    b.dataset.action = action;
    b.title = title;
    actions.append(b);
    return b;
  };
  const toggle = button('disable', 'Disable', 'Take this identity out of rotation');
  const refresh = button('refresh', 'Refresh nonce', 'Fetch a fresh nonce from the site now');
  const probe = button('probe', 'Probe', 'Send one test request through this identity');
  const edit = button('edit', 'Edit', 'Change its cookies, proxy or limits, or delete it');
  cells.actions.append(actions);
  return { tr, cells, toggle, buttons: [toggle, refresh, probe, edit] };
}

function updateRow(row: Row, x: IdentityView, now: number): void {
  const c = row.cells;
  c.proxy.textContent = x.proxy ? `via ${x.proxy}` : '';
  c.badge.textContent = x.state;
  c.badge.dataset.state = x.state;
  c.reason.textContent = x.reason || '';
  c.since.textContent = fmtAgo(now - x.since);
  c.since.title = Number.isFinite(x.since) ? new Date(x.since).toLocaleString() : '';
  c.cooldown.textContent = x.cooldownRemainingMs === null || x.cooldownRemainingMs === undefined ? '—' : fmtDuration(x.cooldownRemainingMs);
  c.inflight.textContent = `${x.inFlight} / ${x.maxConcurrent}`;
  c.requests.textContent = String(x.requests);
  c.success.textContent = x.requests > 0 ? `${((100 * x.successes) / x.requests).toFixed(x.successes === x.requests ? 0 : 1)}%` : '—';
  c.failures.replaceChildren();
  const failures = x.failures || {};
  const kinds = Object.keys(failures)
    .filter((k) => (failures[k] ?? 0) > 0)
    .sort();
  if (kinds.length === 0) c.failures.textContent = '—';
  for (const k of kinds) c.failures.append(el('span', 'chip', `${k} ${failures[k]}`));
  c.latency.textContent = x.latencyAvgMs === null || x.latencyAvgMs === undefined ? '—' : fmtDuration(x.latencyAvgMs);
  c.nonce.textContent = x.nonceAgeMs === null || x.nonceAgeMs === undefined ? 'none' : fmtDuration(x.nonceAgeMs);
  c.lastError.replaceChildren();
  if (x.lastError) {
    c.lastError.append(el('span', 'badge failed', x.lastError.kind), ' ', el('span', '', x.lastError.detail));
    c.lastError.append(el('span', 'reason', fmtAgo(now - x.lastError.at)));
    c.lastError.title = x.lastError.detail;
  } else {
    c.lastError.textContent = '—';
    c.lastError.title = '';
  }
  const off = x.enabled === false || x.state === 'disabled';
  row.toggle.dataset.action = off ? 'enable' : 'disable';
  row.toggle.textContent = off ? 'Enable' : 'Disable';
  row.toggle.title = off ? 'Put this identity back into rotation' : 'Take this identity out of rotation';
  for (const b of row.buttons) b.disabled = pending.has(x.id);
}

function renderIdentities(data: Partial<IdentityList>): void {
  const body = $('identities-body');
  const list = Array.isArray(data.identities) ? data.identities : [];
  const now = Number.isFinite(data.now) ? (data.now ?? Date.now()) : Date.now();
  const seen = new Set<string>();
  for (const x of list) {
    seen.add(x.id);
    let row = rows.get(x.id);
    if (!row) {
      row = buildRow(x.id);
      rows.set(x.id, row);
    }
    updateRow(row, x, now);
    body.append(row.tr); // keeps the server's order; existing rows just move
  }
  for (const [id, row] of rows) {
    if (!seen.has(id)) {
      row.tr.remove();
      rows.delete(id);
    }
  }
  $('identities-empty').hidden = list.length > 0;
  const counts: Record<string, number> = {};
  for (const x of list) counts[x.state] = (counts[x.state] || 0) + 1;
  const parts = Object.keys(counts)
    .sort()
    .map((k) => `${counts[k]} ${k}`);
  $('summary').textContent = `${plural(list.length, 'identity', 'identities')}${parts.length ? ` (${parts.join(', ')})` : ''} · queue ${data.queueDepth || 0}`;
  $('identities-updated').textContent = `updated ${fmtClock(Date.now(), true)}`;
}

async function refreshIdentities(): Promise<void> {
  try {
    const { res, body } = await adminFetch('/admin/identities');
    if (!res.ok) throw new HttpError(res.status, messageOf(body, res));
    renderIdentities(isRecord(body) ? (body as Partial<IdentityList>) : {});
    $('identities').classList.remove('stale');
    setBanner('identities-error', '');
    setConnection(true, 'live');
  } catch (error) {
    $('identities').classList.add('stale');
    setBanner('identities-error', describeFailure(error));
    setConnection(false, error instanceof HttpError && error.status === 401 ? 'signed out' : 'offline');
  }
}

function showActionResult(id: string, action: string, ok: boolean, message: string): void {
  const p = $('action-result');
  p.hidden = false;
  p.classList.toggle('failed', !ok);
  p.textContent = `${id} · ${action}: ${ok ? 'ok' : 'failed'}${message ? ` — ${message}` : ''}`;
}

async function runAction(id: string, action: string): Promise<void> {
  pending.add(id);
  const row = rows.get(id);
  if (row) for (const b of row.buttons) b.disabled = true;
  try {
    const { res, body } = await adminFetch(`/admin/identities/${encodeURIComponent(id)}/${action}`, 'POST');
    const ok = res.ok && isRecord(body) && body.ok === true;
    const message = isRecord(body) && typeof body.message === 'string' ? body.message : messageOf(body, res);
    showActionResult(id, action, ok, res.ok ? message : `HTTP ${res.status}: ${message}`);
  } catch (error) {
    showActionResult(id, action, false, describeFailure(error));
  } finally {
    pending.delete(id);
    await refreshIdentitiesNow();
  }
}

$('identities-body').addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('button[data-action]') : null;
  if (!(button instanceof HTMLButtonElement) || button.disabled) return;
  const tr = button.closest('tr[data-identity]');
  const id = tr instanceof HTMLElement ? tr.dataset.identity : undefined;
  const action = button.dataset.action;
  if (id === undefined || action === undefined) return;
  if (action === 'edit') openEditor(id);
  else runAction(id, action);
});

// ---- identity form: add, edit, test, delete -------------------------------
// Cookies and the proxy are write-only here: the server never sends them back (hasCookies, a
// masked proxy), so an empty field keeps what is set and a checkbox removes it. An emptied
// limit means "inherit" (null removes the identity's own value). Only what changed is sent.
const form = byId('id-form', HTMLFormElement);
const idInput = byId('f-id', HTMLInputElement);
const cookiesInput = byId('f-cookies', HTMLTextAreaElement);
const cookiesRemove = byId('f-cookies-remove', HTMLInputElement);
const proxyInput = byId('f-proxy', HTMLInputElement);
const proxyRemove = byId('f-proxy-remove', HTMLInputElement);
const userAgentInput = byId('f-userAgent', HTMLInputElement);
const enabledBox = byId('f-enabled', HTMLInputElement);
const NUMBER_FIELDS = ['maxConcurrent', 'rpm', 'weight', 'minIntervalMs', 'jitterMs'] as const;
const numberInputs = NUMBER_FIELDS.map((name) => ({ name, input: byId(`f-${name}`, HTMLInputElement) }));
const FIELD_ERRORS = ['id', 'cookies', 'proxy', 'userAgent', 'enabled', ...NUMBER_FIELDS];
const formButtons = ['f-save', 'f-test', 'f-delete', 'f-cancel'].map((id) => byId(id, HTMLButtonElement));

/** The identity being edited (null: adding one), with the texts its fields started from. */
let editing: { id: string; text: Record<string, string>; enabled: boolean } | null = null;
let formBusy = false;

function setFormError(text: string, field?: string | null): void {
  setBanner('id-form-error', text);
  for (const name of FIELD_ERRORS) {
    const e = $(`e-${name}`);
    const named = Boolean(text) && field === name;
    e.hidden = !named;
    e.textContent = named ? text : '';
    const input = document.getElementById(`f-${name}`);
    if (input) {
      if (named) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
  }
}
function setFormStatus(text: string): void {
  $('f-status').textContent = text;
}
function showProbe(text: string, ok: boolean): void {
  const p = $('id-probe');
  p.hidden = !text;
  p.textContent = text;
  p.classList.toggle('failed', !ok);
}
function setFormBusy(busy: boolean): void {
  formBusy = busy;
  for (const b of formButtons) b.disabled = busy;
}

/** Empties every field (what was typed, secrets included, leaves the page). */
function clearForm(): void {
  for (const input of [idInput, cookiesInput, proxyInput, userAgentInput, ...numberInputs.map((f) => f.input)]) {
    input.value = '';
    input.placeholder = '';
  }
  idInput.placeholder = 'e.g. acct-3';
  cookiesInput.placeholder = 'name=value; other=value';
  proxyInput.placeholder = 'none (a proxy URL with user:password@host:port)';
  userAgentInput.placeholder = "the gateway's default browser";
  for (const f of numberInputs) f.input.placeholder = 'inherit';
  cookiesRemove.checked = false;
  proxyRemove.checked = false;
  cookiesInput.disabled = false;
  proxyInput.disabled = false;
  enabledBox.checked = true;
  setFormError('');
  setFormStatus('');
  showProbe('', true);
}

function closeForm(): void {
  clearForm();
  editing = null;
  form.hidden = true;
}

function openAdd(): void {
  clearForm();
  editing = null;
  $('id-form-title').textContent = 'Add identity';
  idInput.disabled = false;
  $('f-cookies-remove-row').hidden = true;
  $('f-proxy-remove-row').hidden = true;
  byId('f-delete', HTMLButtonElement).hidden = true;
  form.hidden = false;
  idInput.focus();
}

async function openEditor(id: string): Promise<void> {
  if (formBusy) return;
  clearForm();
  $('id-form-title').textContent = `Edit ${id}`;
  form.hidden = false;
  setFormStatus('loading…');
  setFormBusy(true);
  try {
    const { res, body } = await adminFetch(`/admin/identities/${encodeURIComponent(id)}`);
    if (!res.ok) throw new HttpError(res.status, messageOf(body, res));
    const detail = (isRecord(body) ? body : {}) as Partial<IdentityDetail>;
    fillEditor(id, isRecord(detail.settings) ? detail.settings : {});
    setFormStatus('');
  } catch (error) {
    closeForm();
    showActionResult(id, 'edit', false, describeFailure(error));
  } finally {
    setFormBusy(false);
  }
}

function fillEditor(id: string, settings: Partial<IdentitySettings>): void {
  const inherited = new Set(Array.isArray(settings.inherited) ? settings.inherited : []);
  const text: Record<string, string> = {};
  idInput.value = id;
  idInput.disabled = true;
  cookiesInput.placeholder = settings.hasCookies ? 'set (kept): paste new cookies to replace them' : 'none: paste cookies to add them';
  $('f-cookies-remove-row').hidden = !settings.hasCookies;
  // The proxy as the server masks it: no user name or password.
  proxyInput.placeholder = settings.proxy ? `kept: ${settings.proxy}` : 'none (a proxy URL with user:password@host:port)';
  $('f-proxy-remove-row').hidden = !settings.proxy;
  const ua = typeof settings.userAgent === 'string' ? settings.userAgent : '';
  text.userAgent = inherited.has('userAgent') ? '' : ua;
  userAgentInput.value = text.userAgent;
  userAgentInput.placeholder = inherited.has('userAgent') ? `inherit${ua ? `: ${ua}` : " (the gateway's default browser)"}` : '';
  for (const { name, input } of numberInputs) {
    const value = settings[name];
    const shown = typeof value === 'number' ? String(value) : '';
    text[name] = inherited.has(name) ? '' : shown;
    input.value = text[name];
    input.placeholder = inherited.has(name) ? `inherit${shown ? ` (${shown})` : ''}` : 'inherit';
  }
  enabledBox.checked = settings.enabled !== false;
  byId('f-delete', HTMLButtonElement).hidden = false;
  editing = { id, text, enabled: enabledBox.checked };
}

/** A number field's text as the API takes it: a number when it reads as one, else the text (the API names the field). */
function numberValue(text: string): number | string {
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
}

/** A new identity's fields: what was filled in. */
function addBody(): Record<string, unknown> {
  const body: Record<string, unknown> = { id: idInput.value.trim() };
  if (cookiesInput.value.trim()) body.cookies = cookiesInput.value.trim();
  if (proxyInput.value.trim()) body.proxy = proxyInput.value.trim();
  if (userAgentInput.value.trim()) body.userAgent = userAgentInput.value.trim();
  for (const { name, input } of numberInputs) if (input.value.trim()) body[name] = numberValue(input.value.trim());
  if (!enabledBox.checked) body.enabled = false;
  return body;
}

/** An edit's changes: only the fields that differ from what the form started with. */
function patchBody(start: NonNullable<typeof editing>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (cookiesRemove.checked) body.cookies = null;
  else if (cookiesInput.value.trim()) body.cookies = cookiesInput.value.trim();
  if (proxyRemove.checked) body.proxy = null;
  else if (proxyInput.value.trim()) body.proxy = proxyInput.value.trim();
  const ua = userAgentInput.value.trim();
  if (ua !== (start.text.userAgent ?? '')) body.userAgent = ua || null;
  for (const { name, input } of numberInputs) {
    const value = input.value.trim();
    if (value !== (start.text[name] ?? '')) body[name] = value ? numberValue(value) : null;
  }
  if (enabledBox.checked !== start.enabled) body.enabled = enabledBox.checked;
  return body;
}

/** An API refusal next to the form, and next to the field it names. */
function showRefusal(res: Response, body: unknown): void {
  const param = isRecord(body) && isRecord(body.error) && typeof body.error.param === 'string' ? body.error.param : null;
  setFormError(`HTTP ${res.status}: ${messageOf(body, res)}`, param);
  setFormStatus('not saved');
}

async function saveForm(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  if (formBusy) return;
  const start = editing;
  setFormError('');
  showProbe('', true);
  const payload = start ? patchBody(start) : addBody();
  if (start && Object.keys(payload).length === 0) {
    setFormStatus('nothing changed');
    return;
  }
  const id = start ? start.id : String(payload.id);
  setFormBusy(true);
  setFormStatus('saving…');
  try {
    const { res, body } = start
      ? await adminFetch(`/admin/identities/${encodeURIComponent(start.id)}`, 'PATCH', payload)
      : await adminFetch('/admin/identities', 'POST', payload);
    if (!res.ok) {
      showRefusal(res, body);
      return;
    }
    const state = isRecord(body) && isRecord(body.identity) && typeof body.identity.state === 'string' ? body.identity.state : null;
    closeForm();
    showActionResult(id, start ? 'save' : 'add', true, `written to the account file${state ? `; now ${state}` : ''}`);
    await refreshIdentitiesNow();
  } catch (error) {
    setFormError(describeFailure(error));
    setFormStatus('not saved');
  } finally {
    setFormBusy(false);
  }
}

function stepText(step: StepResult | undefined): string {
  if (!step) return '—';
  if (step.ok === true) return `ok in ${step.ms} ms`;
  if (step.ok === null) return step.why;
  return step.detail ? `${step.kind}: ${step.detail}` : step.kind;
}

/** Test: the form's settings checked against the site (page, nonce, one tiny message); nothing is saved. */
async function testForm(): Promise<void> {
  if (formBusy) return;
  const start = editing;
  const body = start ? patchBody(start) : addBody();
  const base = start ? `?base=${encodeURIComponent(start.id)}` : '';
  setFormError('');
  showProbe('', true);
  setFormBusy(true);
  setFormStatus('testing against the site…');
  try {
    const { res, body: answer } = await adminFetch(`/admin/identities/probe${base}`, 'POST', body);
    if (!res.ok) {
      showRefusal(res, answer);
      setFormStatus('not tested');
      return;
    }
    const probe = (isRecord(answer) ? answer : {}) as Partial<ProbeAnswer>;
    const verdict = probe.ok ? 'works' : 'FAILS';
    showProbe(`Test ${verdict} (not saved): chat page and nonce ${stepText(probe.page)}; message ${stepText(probe.message)}`, probe.ok === true);
    setFormStatus('');
  } catch (error) {
    setFormError(describeFailure(error));
    setFormStatus('');
  } finally {
    setFormBusy(false);
  }
}

async function deleteIdentity(): Promise<void> {
  const start = editing;
  if (formBusy || !start) return;
  if (!window.confirm(`Delete identity ${start.id}? It is removed from the account file; its requests in flight finish.`)) return;
  setFormError('');
  setFormBusy(true);
  setFormStatus('deleting…');
  try {
    const { res, body } = await adminFetch(`/admin/identities/${encodeURIComponent(start.id)}`, 'DELETE');
    if (!res.ok) {
      showRefusal(res, body);
      return;
    }
    closeForm();
    showActionResult(start.id, 'delete', true, 'removed from the pool and the account file');
    await refreshIdentitiesNow();
  } catch (error) {
    setFormError(describeFailure(error));
    setFormStatus('');
  } finally {
    setFormBusy(false);
  }
}

byId('id-add', HTMLButtonElement).addEventListener('click', openAdd);
form.addEventListener('submit', saveForm);
byId('f-test', HTMLButtonElement).addEventListener('click', testForm);
byId('f-delete', HTMLButtonElement).addEventListener('click', deleteIdentity);
byId('f-cancel', HTMLButtonElement).addEventListener('click', closeForm);
cookiesRemove.addEventListener('change', () => {
  cookiesInput.disabled = cookiesRemove.checked;
  if (cookiesRemove.checked) cookiesInput.value = '';
});
proxyRemove.addEventListener('change', () => {
  proxyInput.disabled = proxyRemove.checked;
  if (proxyRemove.checked) proxyInput.value = '';
});

// ---- site canary ---------------------------------------------------------
/** A banner while the canary says the site drifted or is down; nothing when ok, unknown or off. */
async function refreshCanary(): Promise<void> {
  const banner = $('site-banner');
  try {
    const { res, body } = await adminFetch('/admin/canary');
    const view = (res.ok && isRecord(body) ? body : {}) as Partial<CanaryView> & { now?: number };
    const state = view.state;
    if (state !== 'drift' && state !== 'down') {
      banner.hidden = true;
      banner.textContent = '';
      delete banner.dataset.state;
      return;
    }
    const now = typeof view.now === 'number' ? view.now : Date.now();
    const since = typeof view.since === 'number' ? ` since ${fmtClock(view.since, true)} (${fmtAgo(now - view.since)})` : '';
    const what = state === 'drift' ? 'The site changed (canary: drift)' : 'The site is down (canary: down)';
    banner.dataset.state = state;
    banner.textContent = `${what}${since}${view.reason ? `: ${view.reason}` : ''}`;
    banner.hidden = false;
  } catch {
    // The identities poll reports an unreachable gateway.
  }
}

// ---- activity ------------------------------------------------------------
let lastActivity: Partial<ActivitySnapshot> | null = null;

function niceScale(max: number): { top: number; step: number } {
  // Axis top and step for about four gridlines, in whole requests.
  let step = 1;
  for (const base of [1, 2, 5, 10, 20, 25, 50]) {
    step = base;
    if (max / base <= 4) break;
  }
  while (max / step > 4) step *= 10;
  return { top: Math.max(step, Math.ceil(max / step) * step), step };
}

function drawChart(snapshot: Partial<ActivitySnapshot>): void {
  const box = $('chart');
  const buckets = Array.isArray(snapshot.buckets) ? snapshot.buckets : [];
  const bucketMs = snapshot.bucketMs || 10000;
  const width = Math.max(200, box.clientWidth || 600);
  const height = 190;
  const [left, right, top, bottom] = [40, 8, 10, 22];
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const n = Math.max(1, buckets.length);
  let max = 0;
  for (const b of buckets) max = Math.max(max, b.ok + (b.clientErrors || 0) + b.failed);
  const scale = niceScale(max);
  const y = (v: number): number => top + plotH - (v / scale.top) * plotH;
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'requests per bucket' });
  const title = svg('title');
  title.textContent = `Requests per ${bucketMs / 1000} s: ok, client errors and failed`;
  root.append(title);
  for (let v = 0; v <= scale.top; v += scale.step) {
    root.append(svg('line', { class: 'grid', x1: left, x2: width - right, y1: y(v), y2: y(v) }));
    const label = svg('text', { class: 'axis', x: left - 6, y: y(v) + 4, 'text-anchor': 'end' });
    label.textContent = String(v);
    root.append(label);
  }
  const slot = plotW / n;
  const barW = Math.max(1, slot - (slot > 4 ? 1.5 : 0.5));
  buckets.forEach((b, i) => {
    const x = left + i * slot;
    const g = svg('g', { 'data-t': b.t });
    const tip = svg('title');
    const outcomes = b.outcomes || {};
    const kinds = Object.keys(outcomes)
      .filter((k) => k !== 'ok')
      .map((k) => `${k} ${outcomes[k]}`);
    const client = b.clientErrors || 0;
    tip.textContent = `${fmtClock(b.t, true)}: ${b.ok} ok, ${plural(client, 'client error')}, ${b.failed} failed${kinds.length ? ` (${kinds.join(', ')})` : ''}`;
    g.append(tip, svg('rect', { class: 'hit', x, y: top, width: slot, height: plotH }));
    // Stacked from the bottom: ok, client errors, failed.
    const stack = (className: string, from: number, count: number) => {
      if (count > 0) g.append(svg('rect', { class: className, x, y: y(from + count), width: barW, height: y(from) - y(from + count) }));
    };
    stack('bar-ok', 0, b.ok);
    stack('bar-client', b.ok, client);
    stack('bar-failed', b.ok + client, b.failed);
    root.append(g);
    // A time label on every 5-minute boundary.
    if (b.t % 300000 === 0) {
      const anchor = i === 0 ? 'start' : x + 18 > width - right ? 'end' : 'middle';
      const label = svg('text', { class: 'axis', x: anchor === 'end' ? width - right : x, y: height - 6, 'text-anchor': anchor });
      label.textContent = fmtClock(b.t, false);
      root.append(label);
    }
  });
  box.replaceChildren(root);
}

/** ok, client_error or failed; a gateway without the class: by status. */
function resultOf(r: ActivityRequest): string {
  if (r.result) return r.result;
  return r.outcome === 'ok' ? 'ok' : r.status >= 400 && r.status < 500 && r.status !== 429 ? 'client_error' : 'failed';
}
const RESULT_CLASS: Record<string, string> = { ok: 'ok', client_error: 'client', failed: 'failed' };

function renderRecent(recent: ActivityRequest[] | undefined): void {
  const body = $('recent-body');
  const list = Array.isArray(recent) ? recent : [];
  body.replaceChildren(
    ...list.map((r) => {
      const tr = el('tr');
      tr.dataset.requestId = r.id;
      const td = (text: string | number | null | undefined, className?: string): HTMLTableCellElement => {
        const c = el('td', className, text === null || text === undefined || text === '' ? '—' : text);
        tr.append(c);
        return c;
      };
      td(fmtClock(r.at, true)).title = new Date(r.at).toLocaleString();
      td(r.id, 'mono');
      // An unmatched route shows the path it was asked for (bounded by the gateway).
      const route = td(`${r.method} ${r.path ?? r.route}`, 'mono wrap');
      if (r.path) route.title = 'no such route';
      td(r.model, 'wrap');
      td(r.stream ? 'yes' : 'no');
      td(r.identity, 'mono');
      td(r.attempts, 'num');
      const kind = RESULT_CLASS[resultOf(r)] ?? 'failed';
      tr.dataset.result = resultOf(r);
      const outcome = td('');
      outcome.replaceChildren(el('span', `badge ${kind}`, r.outcome));
      td(r.status, `num status-${kind}`);
      td(fmtDuration(r.durationMs), 'num');
      return tr;
    }),
  );
  $('recent-empty').hidden = list.length > 0;
}

async function refreshActivity(): Promise<void> {
  try {
    const { res, body } = await adminFetch(`/admin/activity?minutes=${ACTIVITY_MINUTES}`);
    if (!res.ok) throw new HttpError(res.status, messageOf(body, res));
    const snapshot: Partial<ActivitySnapshot> = isRecord(body) ? (body as Partial<ActivitySnapshot>) : {};
    lastActivity = snapshot;
    drawChart(snapshot);
    renderRecent(snapshot.recent);
    let ok = 0;
    let client = 0;
    let failed = 0;
    for (const b of snapshot.buckets || []) {
      ok += b.ok;
      client += b.clientErrors || 0;
      failed += b.failed;
    }
    const total = ok + client + failed;
    const share = (n: number) => (total && n ? ` (${((100 * n) / total).toFixed(1)}%)` : '');
    $('activity-totals').textContent = `${plural(total, 'request')}: ${failed} failed${share(failed)}, ${plural(client, 'client error')}${share(client)}`;
    setBanner('activity-error', '');
  } catch (error) {
    setBanner('activity-error', describeFailure(error));
  }
}

let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => {
    if (lastActivity) drawChart(lastActivity);
  }, 150);
});

// ---- playground ----------------------------------------------------------
const keyInput = byId('pg-key', HTMLInputElement);
const modelSelect = byId('pg-model', HTMLSelectElement);
const streamBox = byId('pg-stream', HTMLInputElement);
const messageBox = byId('pg-message', HTMLTextAreaElement);
const sendButton = byId('pg-send', HTMLButtonElement);
const stopButton = byId('pg-stop', HTMLButtonElement);
const playgroundForm = byId('playground-form', HTMLFormElement);
const answer = $('playground-answer');
let controller: AbortController | null = null;

try {
  keyInput.value = sessionStorage.getItem(KEY_STORAGE) || '';
} catch {
  /* storage blocked: keep it in memory */
}

function apiHeaders(extra?: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json', ...extra };
  const key = keyInput.value.trim();
  if (key) headers.authorization = `Bearer ${key}`;
  return headers;
}
function setStatus(text: string): void {
  $('pg-status').textContent = text;
}
function showError(text: string): void {
  const e = $('playground-error');
  e.hidden = !text;
  e.textContent = text || '';
}

/** GET /v1/models with the key entered (never on page load without one: that would only be a 401 in the activity). */
async function loadModels(): Promise<void> {
  const status = $('pg-models-status');
  status.textContent = 'loading models…';
  try {
    const res = await fetch('/v1/models', { credentials: 'same-origin', cache: 'no-store', headers: apiHeaders() });
    const body = await readJson(res);
    if (!res.ok) throw new HttpError(res.status, messageOf(body, res));
    const previous = modelSelect.value;
    const data = isRecord(body) && Array.isArray(body.data) ? body.data : [];
    const ids = data.map((m: unknown) => (isRecord(m) ? m.id : undefined)).filter((id): id is string => typeof id === 'string');
    modelSelect.replaceChildren(
      ...ids.map((id) => {
        const o = el('option', '', id);
        o.value = id;
        return o;
      }),
    );
    if (ids.includes(previous)) modelSelect.value = previous;
    status.textContent = plural(ids.length, 'model');
  } catch (error) {
    status.textContent =
      error instanceof HttpError && error.status === 401
        ? `models: ${error.message}${keyInput.value.trim() ? ' (check the API key)' : ' (enter an API key)'}`
        : `models: ${describeFailure(error)}`;
  }
}

function noKeyYet(): void {
  $('pg-models-status').textContent = 'enter the API key to list the models (or List models, if the gateway has no client keys)';
}

keyInput.addEventListener('change', () => {
  try {
    sessionStorage.setItem(KEY_STORAGE, keyInput.value.trim());
  } catch {
    /* ignore */
  }
  if (keyInput.value.trim()) loadModels();
  else noKeyYet();
});
byId('pg-models-load', HTMLButtonElement).addEventListener('click', () => loadModels());

// Reads an SSE body, calling onData with each parsed 'data:' payload; returns on [DONE] or end.
async function readSse(body: ReadableStream<Uint8Array>, onData: (event: ChatAnswer) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
    const lines = buffer.split('\n');
    buffer = done ? '' : (lines.pop() ?? '');
    for (const raw of lines) {
      const line = raw.replace(/\r$/, '');
      if (!line.startsWith('data:')) continue; // comments (keep-alives), blank lines, other fields
      const data = line.slice(5).trim();
      if (data === '[DONE]') return;
      let event: unknown;
      try {
        event = JSON.parse(data);
      } catch {
        continue;
      }
      if (isRecord(event)) onData(event as ChatAnswer);
    }
    if (done) return;
  }
}

async function send(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  if (controller) return;
  const message = messageBox.value;
  if (!message.trim()) {
    setStatus('write a message first');
    messageBox.focus();
    return;
  }
  const stream = streamBox.checked;
  const payload: ChatPayload = { messages: [{ role: 'user', content: message }], stream };
  if (modelSelect.value) payload.model = modelSelect.value;
  if (stream) payload.stream_options = { include_usage: true };
  controller = new AbortController();
  sendButton.disabled = true;
  stopButton.disabled = false;
  answer.textContent = '';
  showError('');
  setStatus('waiting…');
  const started = performance.now();
  let requestId: string | null = null;
  let finish: string | null | undefined = null;
  let usage: ChatUsage | null | undefined = null;
  let streamError = false;
  try {
    const res = await fetch('/v1/chat/completions', {
      method: 'POST',
      credentials: 'same-origin',
      headers: apiHeaders({ 'content-type': 'application/json' }),
      body: JSON.stringify(payload),
      signal: controller.signal,
    });
    requestId = res.headers.get('x-request-id');
    if (!res.ok) {
      const body = await readJson(res);
      const retry = res.headers.get('retry-after');
      showError(`HTTP ${res.status}: ${messageOf(body, res)}${retry ? ` (retry after ${retry} s)` : ''}`);
      setStatus(`failed${requestId ? ` · request ${requestId}` : ''}`);
      return;
    }
    const contentType = res.headers.get('content-type') || '';
    if (stream && res.body && contentType.includes('text/event-stream')) {
      setStatus('streaming…');
      await readSse(res.body, (chunk) => {
        if (chunk.error) {
          streamError = true;
          showError(`stream error: ${chunk.error.message || JSON.stringify(chunk.error)}`);
          return;
        }
        const choice = chunk.choices && chunk.choices[0];
        const delta = choice && choice.delta && choice.delta.content;
        if (typeof delta === 'string' && delta) answer.append(delta);
        if (choice && choice.finish_reason) finish = choice.finish_reason;
        if (chunk.usage) usage = chunk.usage;
      });
    } else {
      const body = await readJson(res);
      const reply: ChatAnswer | null = isRecord(body) ? (body as ChatAnswer) : null;
      const choice = reply && reply.choices && reply.choices[0];
      const content = choice && choice.message && choice.message.content;
      answer.textContent = typeof content === 'string' ? content : '';
      finish = choice ? choice.finish_reason : null;
      usage = reply ? reply.usage : null;
    }
    const parts = [`${streamError ? 'failed after ' : 'done in '}${fmtDuration(performance.now() - started)}`];
    if (finish) parts.push(`finish: ${finish}`);
    if (usage) parts.push(`${usage.prompt_tokens} + ${usage.completion_tokens} tokens`);
    if (requestId) parts.push(`request ${requestId}`);
    setStatus(parts.join(' · '));
  } catch (error) {
    if (isRecord(error) && error.name === 'AbortError') setStatus('stopped');
    else {
      showError(describeFailure(error));
      setStatus('failed');
    }
  } finally {
    controller = null;
    sendButton.disabled = false;
    stopButton.disabled = true;
  }
}

playgroundForm.addEventListener('submit', send);
stopButton.addEventListener('click', () => {
  if (controller) controller.abort();
});
messageBox.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) playgroundForm.requestSubmit();
});

// ---- start -----------------------------------------------------------------
const refreshIdentitiesNow = poll(refreshIdentities, IDENTITIES_EVERY_MS);
poll(refreshActivity, ACTIVITY_EVERY_MS);
poll(refreshCanary, CANARY_EVERY_MS);
if (keyInput.value.trim()) loadModels();
else noKeyYet();

// POST /wp-admin/admin-ajax.php: faults first, then WordPress's checks, then the reply.

import { ajaxDie, ajaxError, ajaxSuccess, staleNonce } from './answers.ts';
import { identityOf } from './cookies.ts';
import { delay } from './delay.ts';
import { DEFAULT_SLOW_DELAY_MS, faultAnswer, shapesNormalAnswer } from './fault-answer.ts';
import { bigCookie, DEFAULT_BIG_COOKIE_BYTES } from './hostile.ts';
import { readMessageForm, type MessageForm } from './message-form.ts';
import { buildReply } from './reply.ts';
import type { RequestTimeouts, UpstreamState } from './state.ts';
import { ECHO_PLAY, faultFitsPlay, isModelFault, planAnswer, playText, type ModelPlay } from './tool-play.ts';
import type { FaultRule, MessageOutcome } from './types.ts';

export const MODELS: readonly string[] = ['moonshotai/Kimi-K2-Instruct-0905', 'moonshotai/Kimi-K2-Instruct'];

type CheckOutcome = 'ok' | 'stale_nonce' | 'too_long' | 'empty' | 'bad_model' | 'bad_form';

function check(form: MessageForm, identity: string, now: number, state: UpstreamState): CheckOutcome {
  const { settings } = state;
  if (form.action !== 'kimi_send_message') return 'bad_form';
  const nonceOk = state.nonces.isValid({
    nonce: form.nonce,
    identity,
    now,
    ttlMs: settings.nonceTtlMs,
    bindToCookie: settings.bindNonceToCookie,
  });
  if (!nonceOk) return 'stale_nonce';
  if (form.message.trim() === '') return 'empty';
  if (form.message.length > settings.maxMessageLength) return 'too_long';
  if (!MODELS.includes(form.model)) return 'bad_model';
  return 'ok';
}

function answer(outcome: CheckOutcome, form: MessageForm, state: UpstreamState, play: ModelPlay, fault: FaultRule | undefined): Response {
  const { settings } = state;
  switch (outcome) {
    case 'ok': {
      const modelFault = fault !== undefined && isModelFault(fault.kind) ? fault.kind : undefined;
      return ajaxSuccess(playText(play, modelFault, () => buildReply(form.message, form.model, settings.replyLength)));
    }
    case 'bad_form':
      return ajaxDie('0', 400);
    case 'stale_nonce':
      return staleNonce(settings.staleNonceStyle);
    case 'empty':
      return ajaxError('Message cannot be empty');
    case 'too_long':
      return ajaxError(`Message is too long (max ${settings.maxMessageLength} characters)`);
    case 'bad_model':
      return ajaxError('Invalid model');
  }
}

function headersOf(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  req.headers.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}

export async function handleMessage(req: Request, server: RequestTimeouts, state: UpstreamState): Promise<Response> {
  const identity = identityOf(req.headers.get('cookie'));
  const at = Date.now();
  const entry = state.stats.beginMessage(identity, at);
  try {
    let form: MessageForm;
    try {
      form = await readMessageForm(req);
    } catch {
      // The client went away (or sent a broken body) before we could read it.
      return ajaxDie('0', 400);
    }
    const outcome = check(form, identity, at, state);
    // Model faults only hit answers they can malform (a call, JSON); anything else leaves them unspent.
    const play = outcome === 'ok' ? planAnswer(form.message) : ECHO_PLAY;
    const fault = state.faults.match('message', identity, (kind) => faultFitsPlay(kind, play));
    const record = (recorded: MessageOutcome): void =>
      state.stats.record({
        at,
        identity,
        nonce: form.nonce,
        message: form.message,
        model: form.model,
        sessionId: form.sessionId,
        headers: headersOf(req),
        outcome: recorded,
      });
    if (fault !== undefined && !shapesNormalAnswer(fault.kind)) {
      record(fault.kind);
      return faultAnswer(fault, 'message', { cookie: req.headers.get('cookie'), nonce: form.nonce });
    }
    // A slow (cookie-adding, malformed) answer that would succeed is logged as such; a failing one keeps its real outcome.
    record(fault !== undefined && outcome === 'ok' ? fault.kind : outcome);
    const slowMs = fault?.kind === 'slow' ? (fault.delayMs ?? DEFAULT_SLOW_DELAY_MS) : 0;
    const waitMs = slowMs + (outcome === 'ok' ? state.settings.latencyMs : 0);
    if (waitMs > 0) {
      server.timeout(req, 0);
      const completed = await delay(waitMs, [req.signal, state.lifetime]);
      if (!completed) return ajaxDie('0', 499);
    }
    const response = answer(outcome, form, state, play, fault);
    if (fault?.kind === 'big_cookie') response.headers.append('Set-Cookie', bigCookie(fault.bytes ?? DEFAULT_BIG_COOKIE_BYTES));
    return response;
  } finally {
    state.stats.endMessage(entry);
  }
}

// The operator dashboard served at GET /dashboard: one self-contained HTML document
// (inline CSS and one inline script, no external URL) for the identities, the activity
// of the last 15 minutes and a chat playground. Data comes from same-origin fetches of
// /admin/* (the browser re-sends the page's Basic credentials) and /v1/* (Bearer key).
// Every dynamic value goes in through textContent / createElement, never innerHTML.

import { inlinePageCsp, inlinePageHeaders, inlinePageHtml, type InlinePage } from './inline-page.ts';

const CSS = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --panel: #ffffff; --text: #1d2330; --muted: #667085; --line: #e3e6eb;
  --accent: #2f6fdf; --ok: #1f9d55; --fail: #d64545; --warn: #c98a05; --purple: #8a4fd1; --grey: #8a919e;
  --ok-bg: #e3f5ea; --fail-bg: #fbe5e5; --warn-bg: #fdf1d6; --purple-bg: #efe5fb; --grey-bg: #eceef1;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12151b; --panel: #1b1f27; --text: #e4e7ec; --muted: #9aa3b2; --line: #2c323d;
    --accent: #6d9cf0; --ok: #3ccf7a; --fail: #f06b6b; --warn: #e8b339; --purple: #b48cf0; --grey: #8d95a3;
    --ok-bg: #173526; --fail-bg: #3d1d1f; --warn-bg: #3a2f12; --purple-bg: #2d2140; --grey-bg: #2a2f38;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; padding: 12px 20px; background: var(--panel); border-bottom: 1px solid var(--line); }
h1 { font-size: 18px; margin: 0; }
h2 { font-size: 15px; margin: 0; }
h3 { font-size: 13px; margin: 16px 0 6px; color: var(--muted); font-weight: 600; }
main { padding: 16px 20px 40px; display: grid; gap: 16px; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; min-width: 0; }
.section-head { display: flex; align-items: baseline; justify-content: space-between; gap: 12px; margin-bottom: 10px; flex-wrap: wrap; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.mono { font-family: var(--mono); font-size: 12px; }
.conn { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: var(--ok-bg); color: var(--ok); }
.conn.down { background: var(--fail-bg); color: var(--fail); }
.banner { margin: 0 0 10px; padding: 6px 10px; border-radius: 6px; background: var(--fail-bg); color: var(--fail); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 5px 7px; border-bottom: 1px solid var(--line); vertical-align: top; white-space: nowrap; }
th { font-size: 12px; font-weight: 600; color: var(--muted); }
#identities td { font-size: 13px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.wrap { white-space: normal; min-width: 110px; max-width: 240px; overflow-wrap: anywhere; }
tbody tr:hover { background: color-mix(in srgb, var(--accent) 6%, transparent); }
.stale tbody { opacity: 0.5; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: var(--grey-bg); color: var(--grey); }
.badge[data-state="ready"], .badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge[data-state="cooling"] { background: var(--warn-bg); color: var(--warn); }
.badge[data-state="challenged"] { background: var(--purple-bg); color: var(--purple); }
.badge[data-state="ejected"], .badge.failed { background: var(--fail-bg); color: var(--fail); }
.badge[data-state="disabled"] { background: var(--grey-bg); color: var(--grey); }
.reason { display: block; font-size: 12px; color: var(--muted); white-space: normal; max-width: 190px; overflow-wrap: anywhere; }
.chip { display: inline-block; margin: 0 4px 2px 0; padding: 0 6px; border-radius: 4px; background: var(--fail-bg); color: var(--fail); font-size: 12px; }
.actions { display: flex; gap: 4px; }
button[data-action="disable"], button[data-action="enable"] { min-width: 64px; }
button { font: inherit; font-size: 12px; padding: 3px 9px; border-radius: 5px; border: 1px solid var(--line); background: var(--panel); color: var(--text); cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { opacity: 0.5; cursor: default; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; font-size: 13px; padding: 5px 16px; }
.action-result { margin: 0 0 10px; padding: 6px 10px; border-radius: 6px; background: var(--ok-bg); color: var(--ok); }
.action-result.failed { background: var(--fail-bg); color: var(--fail); }
.chart { width: 100%; min-height: 190px; }
.chart svg { display: block; }
.chart .grid { stroke: var(--line); stroke-width: 1; }
.chart .axis { fill: var(--muted); font-size: 11px; }
.chart .bar-ok { fill: var(--ok); }
.chart .bar-failed { fill: var(--fail); }
.chart .hit { fill: transparent; }
.chart .hit:hover { fill: color-mix(in srgb, var(--accent) 12%, transparent); }
.legend { display: flex; gap: 16px; font-size: 12px; color: var(--muted); margin-top: 4px; flex-wrap: wrap; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.swatch.ok { background: var(--ok); }
.swatch.failed { background: var(--fail); }
.status-ok { color: var(--ok); }
.status-failed { color: var(--fail); }
form.playground { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, max-content)); gap: 10px 16px; align-items: end; }
label { display: grid; gap: 3px; font-size: 12px; color: var(--muted); }
label.check { display: flex; align-items: center; gap: 6px; font-size: 13px; color: var(--text); }
input, select, textarea { font: inherit; font-size: 13px; color: var(--text); background: var(--bg); border: 1px solid var(--line); border-radius: 5px; padding: 5px 8px; }
input:focus, select:focus, textarea:focus { outline: 2px solid color-mix(in srgb, var(--accent) 50%, transparent); outline-offset: 0; }
#pg-key { width: 280px; }
#pg-model { min-width: 220px; }
.message-row { grid-column: 1 / -1; }
.message-row textarea { width: 100%; resize: vertical; }
.send-row { grid-column: 1 / -1; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.answer { margin: 12px 0 0; padding: 10px 12px; min-height: 3em; border-radius: 6px; background: var(--bg); border: 1px solid var(--line); white-space: pre-wrap; overflow-wrap: anywhere; font: 13px/1.5 var(--mono); }
.pg-error { margin: 10px 0 0; padding: 8px 12px; border-radius: 6px; background: var(--fail-bg); color: var(--fail); white-space: pre-wrap; }
`;

const BODY = String.raw`
<header>
  <h1>kimi-gateway</h1>
  <span id="summary" class="muted"></span>
  <span id="conn" class="conn" role="status">connecting&hellip;</span>
</header>
<main>
  <section id="identities-section" aria-labelledby="identities-title">
    <div class="section-head">
      <h2 id="identities-title">Identities</h2>
      <span id="identities-updated" class="muted small"></span>
    </div>
    <p id="identities-error" class="banner" role="alert" hidden></p>
    <p id="action-result" class="action-result" role="status" hidden></p>
    <div class="table-wrap">
      <table id="identities">
        <thead>
          <tr>
            <th>Identity</th><th>State</th><th>Since</th><th>Cooldown</th><th class="num">In flight</th>
            <th class="num">Requests</th><th class="num">Success</th><th>Failures</th><th class="num">Avg latency</th>
            <th class="num">Nonce age</th><th>Last error</th><th>Actions</th>
          </tr>
        </thead>
        <tbody id="identities-body"></tbody>
      </table>
    </div>
    <p id="identities-empty" class="muted" hidden>No identities in the pool.</p>
  </section>

  <section id="activity-section" aria-labelledby="activity-title">
    <div class="section-head">
      <h2 id="activity-title">Activity <span class="muted small">requests per 10 s, last 15 min</span></h2>
      <span id="activity-totals" class="muted small"></span>
    </div>
    <p id="activity-error" class="banner" role="alert" hidden></p>
    <div id="chart" class="chart"></div>
    <div class="legend"><span><span class="swatch ok"></span>ok</span><span><span class="swatch failed"></span>failed</span></div>
    <h3>Recent requests</h3>
    <div class="table-wrap">
      <table id="recent">
        <thead>
          <tr>
            <th>Time</th><th>Request id</th><th>Route</th><th>Model</th><th>Stream</th><th>Identity</th>
            <th class="num">Attempts</th><th>Outcome</th><th class="num">Status</th><th class="num">Duration</th>
          </tr>
        </thead>
        <tbody id="recent-body"></tbody>
      </table>
    </div>
    <p id="recent-empty" class="muted" hidden>No requests yet.</p>
  </section>

  <section id="playground-section" aria-labelledby="playground-title">
    <div class="section-head"><h2 id="playground-title">Playground</h2><span id="pg-models-status" class="muted small"></span></div>
    <form id="playground-form" class="playground">
      <label>API key (kept in this tab only)
        <input id="pg-key" type="password" autocomplete="off" spellcheck="false" placeholder="blank if the gateway has no client keys">
      </label>
      <label>Model
        <select id="pg-model"></select>
      </label>
      <label class="check"><input id="pg-stream" type="checkbox" checked> stream</label>
      <label class="message-row">Message
        <textarea id="pg-message" rows="4" placeholder="Ask something&hellip; (Ctrl+Enter sends)"></textarea>
      </label>
      <div class="send-row">
        <button id="pg-send" type="submit" class="primary">Send</button>
        <button id="pg-stop" type="button" disabled>Stop</button>
        <span id="pg-status" class="muted small" role="status"></span>
      </div>
    </form>
    <p id="playground-error" class="pg-error" role="alert" hidden></p>
    <pre id="playground-answer" class="answer" aria-live="polite"></pre>
  </section>
</main>
`;

// Plain ES2020+ for current Chromium and Firefox. No template literals (this text lives
// inside a TypeScript template) and ASCII only: bun turns a non-ASCII character inside
// String.raw into a literal "\u2026" text, so write such characters as JS escapes.
const SCRIPT = String.raw`
'use strict';
(() => {
  const IDENTITIES_EVERY_MS = 2000;
  const ACTIVITY_EVERY_MS = 5000;
  const ACTIVITY_MINUTES = 15;
  const KEY_STORAGE = 'kimi-gateway.playground.apiKey';
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const $ = (id) => document.getElementById(id);

  // ---- helpers -------------------------------------------------------------
  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const k of Object.keys(attrs || {})) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  const pad2 = (n) => String(n).padStart(2, '0');
  function fmtDuration(ms) {
    if (ms === null || ms === undefined || !Number.isFinite(ms)) return '\u2014';
    ms = Math.max(0, ms);
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 10000) return (ms / 1000).toFixed(1) + ' s';
    const s = Math.round(ms / 1000);
    if (s < 60) return s + ' s';
    const m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + pad2(s % 60) + 's';
    const h = Math.floor(m / 60);
    if (h < 48) return h + 'h ' + pad2(m % 60) + 'm';
    return Math.floor(h / 24) + 'd ' + (h % 24) + 'h';
  }
  function fmtClock(epochMs, withSeconds) {
    const d = new Date(epochMs);
    return pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + (withSeconds ? ':' + pad2(d.getSeconds()) : '');
  }
  function fmtAgo(ms) {
    if (ms === null || ms === undefined || !Number.isFinite(ms)) return '\u2014';
    return ms < 1000 ? 'just now' : fmtDuration(ms) + ' ago';
  }

  class HttpError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }
  async function readJson(res) {
    const text = await res.text();
    if (!text) return null;
    try { return JSON.parse(text); } catch { return { error: { message: text.slice(0, 300) } }; }
  }
  function messageOf(body, res) {
    if (body && body.error && typeof body.error.message === 'string') return body.error.message;
    if (body && typeof body.message === 'string') return body.message;
    return 'HTTP ' + res.status + (res.statusText ? ' ' + res.statusText : '');
  }
  async function adminFetch(path, method) {
    const res = await fetch(path, {
      method: method || 'GET',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { accept: 'application/json', 'x-requested-with': 'kimi-dashboard' },
    });
    const body = await readJson(res);
    return { res, body };
  }
  function describeFailure(error) {
    if (error instanceof HttpError && error.status === 401) return 'admin credentials refused: reload the page and sign in again (password = ADMIN_KEY)';
    if (error instanceof HttpError) return 'HTTP ' + error.status + ': ' + error.message;
    return 'cannot reach the gateway (' + (error && error.message ? error.message : String(error)) + ')';
  }
  function setBanner(id, text) {
    const e = $(id);
    e.hidden = !text;
    e.textContent = text || '';
  }
  function setConnection(ok, text) {
    const c = $('conn');
    c.classList.toggle('down', !ok);
    c.textContent = text;
  }
  // Polls fn every periodMs, never overlapping, skipping while the tab is hidden. The
  // returned function polls now (or right after the poll in flight).
  function poll(fn, periodMs) {
    let timer = 0;
    let running = false;
    let again = false;
    const run = async () => {
      if (running) { again = true; return; }
      running = true;
      clearTimeout(timer);
      try {
        do { again = false; if (!document.hidden) await fn(); } while (again);
      } finally {
        running = false;
        timer = setTimeout(run, periodMs);
      }
    };
    document.addEventListener('visibilitychange', () => { if (!document.hidden) run(); });
    run();
    return run;
  }

  // ---- identities ----------------------------------------------------------
  const rows = new Map(); // id -> { tr, cells, toggle, buttons }
  const pending = new Set(); // ids with an action in flight

  function buildRow(id) {
    const tr = el('tr');
    tr.dataset.identity = id;
    const cells = {};
    const add = (name, className) => { const td = el('td', className); tr.append(td); cells[name] = td; return td; };
    const idCell = add('id');
    idCell.append(el('span', 'mono', id));
    cells.proxy = el('span', 'reason mono');
    idCell.append(cells.proxy);
    const stateCell = add('state');
    cells.badge = el('span', 'badge');
    cells.reason = el('span', 'reason');
    stateCell.append(cells.badge, cells.reason);
    add('since');
    add('cooldown');
    add('inflight', 'num');
    add('requests', 'num');
    add('success', 'num');
    add('failures', 'wrap');
    add('latency', 'num');
    add('nonce', 'num');
    add('lastError', 'wrap');
    const actions = el('div', 'actions');
    const button = (action, label, title) => {
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
    add('actions').append(actions);
    return { tr, cells, toggle, buttons: [toggle, refresh, probe] };
  }

  function updateRow(row, x, now) {
    const c = row.cells;
    c.proxy.textContent = x.proxy ? 'via ' + x.proxy : '';
    c.badge.textContent = x.state;
    c.badge.dataset.state = x.state;
    c.reason.textContent = x.reason || '';
    c.since.textContent = fmtAgo(now - x.since);
    c.since.title = Number.isFinite(x.since) ? new Date(x.since).toLocaleString() : '';
    c.cooldown.textContent = x.cooldownRemainingMs === null || x.cooldownRemainingMs === undefined ? '\u2014' : fmtDuration(x.cooldownRemainingMs);
    c.inflight.textContent = x.inFlight + ' / ' + x.maxConcurrent;
    c.requests.textContent = String(x.requests);
    c.success.textContent = x.requests > 0 ? (100 * x.successes / x.requests).toFixed(x.successes === x.requests ? 0 : 1) + '%' : '\u2014';
    c.failures.replaceChildren();
    const kinds = Object.keys(x.failures || {}).filter((k) => x.failures[k] > 0).sort();
    if (kinds.length === 0) c.failures.textContent = '\u2014';
    for (const k of kinds) c.failures.append(el('span', 'chip', k + ' ' + x.failures[k]));
    c.latency.textContent = x.latencyAvgMs === null || x.latencyAvgMs === undefined ? '\u2014' : fmtDuration(x.latencyAvgMs);
    c.nonce.textContent = x.nonceAgeMs === null || x.nonceAgeMs === undefined ? 'none' : fmtDuration(x.nonceAgeMs);
    c.lastError.replaceChildren();
    if (x.lastError) {
      c.lastError.append(el('span', 'badge failed', x.lastError.kind), ' ', el('span', '', x.lastError.detail));
      c.lastError.append(el('span', 'reason', fmtAgo(now - x.lastError.at)));
      c.lastError.title = x.lastError.detail;
    } else {
      c.lastError.textContent = '\u2014';
      c.lastError.title = '';
    }
    const off = x.enabled === false || x.state === 'disabled';
    row.toggle.dataset.action = off ? 'enable' : 'disable';
    row.toggle.textContent = off ? 'Enable' : 'Disable';
    row.toggle.title = off ? 'Put this identity back into rotation' : 'Take this identity out of rotation';
    for (const b of row.buttons) b.disabled = pending.has(x.id);
  }

  function renderIdentities(data) {
    const body = $('identities-body');
    const list = Array.isArray(data.identities) ? data.identities : [];
    const now = Number.isFinite(data.now) ? data.now : Date.now();
    const seen = new Set();
    for (const x of list) {
      seen.add(x.id);
      let row = rows.get(x.id);
      if (!row) { row = buildRow(x.id); rows.set(x.id, row); }
      updateRow(row, x, now);
      body.append(row.tr); // keeps the server's order; existing rows just move
    }
    for (const [id, row] of rows) if (!seen.has(id)) { row.tr.remove(); rows.delete(id); }
    $('identities-empty').hidden = list.length > 0;
    const counts = {};
    for (const x of list) counts[x.state] = (counts[x.state] || 0) + 1;
    const parts = Object.keys(counts).sort().map((k) => counts[k] + ' ' + k);
    $('summary').textContent = list.length + ' identities' + (parts.length ? ' (' + parts.join(', ') + ')' : '') + ' \u00b7 queue ' + (data.queueDepth || 0);
    $('identities-updated').textContent = 'updated ' + fmtClock(Date.now(), true);
  }

  async function refreshIdentities() {
    try {
      const { res, body } = await adminFetch('/admin/identities');
      if (!res.ok) throw new HttpError(res.status, messageOf(body, res));
      renderIdentities(body || {});
      $('identities').classList.remove('stale');
      setBanner('identities-error', '');
      setConnection(true, 'live');
    } catch (error) {
      $('identities').classList.add('stale');
      setBanner('identities-error', describeFailure(error));
      setConnection(false, error instanceof HttpError && error.status === 401 ? 'signed out' : 'offline');
    }
  }

  function showActionResult(id, action, ok, message) {
    const p = $('action-result');
    p.hidden = false;
    p.classList.toggle('failed', !ok);
    p.textContent = id + ' \u00b7 ' + action + ': ' + (ok ? 'ok' : 'failed') + (message ? ' \u2014 ' + message : '');
  }

  async function runAction(id, action) {
    pending.add(id);
    const row = rows.get(id);
    if (row) for (const b of row.buttons) b.disabled = true;
    try {
      const { res, body } = await adminFetch('/admin/identities/' + encodeURIComponent(id) + '/' + action, 'POST');
      const ok = res.ok && !!body && body.ok === true;
      const message = body && typeof body.message === 'string' ? body.message : messageOf(body, res);
      showActionResult(id, action, ok, res.ok ? message : 'HTTP ' + res.status + ': ' + message);
    } catch (error) {
      showActionResult(id, action, false, describeFailure(error));
    } finally {
      pending.delete(id);
      await refreshIdentitiesNow();
    }
  }

  $('identities-body').addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button[data-action]') : null;
    if (!button || button.disabled) return;
    const tr = button.closest('tr[data-identity]');
    if (tr) runAction(tr.dataset.identity, button.dataset.action);
  });

  // ---- activity ------------------------------------------------------------
  let lastActivity = null;

  function niceScale(max) {
    // Axis top and step for about four gridlines, in whole requests.
    let step = 1;
    for (const base of [1, 2, 5, 10, 20, 25, 50]) { step = base; if (max / base <= 4) break; }
    while (max / step > 4) step *= 10;
    return { top: Math.max(step, Math.ceil(max / step) * step), step };
  }

  function drawChart(snapshot) {
    const box = $('chart');
    const buckets = Array.isArray(snapshot.buckets) ? snapshot.buckets : [];
    const bucketMs = snapshot.bucketMs || 10000;
    const width = Math.max(320, box.clientWidth || 600);
    const height = 190;
    const left = 40, right = 8, top = 10, bottom = 22;
    const plotW = width - left - right, plotH = height - top - bottom;
    const n = Math.max(1, buckets.length);
    let max = 0;
    for (const b of buckets) max = Math.max(max, b.ok + b.failed);
    const scale = niceScale(max);
    const y = (v) => top + plotH - (v / scale.top) * plotH;
    const root = svg('svg', { width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': 'requests per bucket' });
    root.append(svg('title', {}));
    root.firstChild.textContent = 'Requests per ' + bucketMs / 1000 + ' s: ok and failed';
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
      const tip = svg('title', {});
      const kinds = Object.keys(b.outcomes || {}).filter((k) => k !== 'ok').map((k) => k + ' ' + b.outcomes[k]);
      tip.textContent = fmtClock(b.t, true) + ': ' + b.ok + ' ok, ' + b.failed + ' failed' + (kinds.length ? ' (' + kinds.join(', ') + ')' : '');
      g.append(tip, svg('rect', { class: 'hit', x, y: top, width: slot, height: plotH }));
      if (b.ok > 0) g.append(svg('rect', { class: 'bar-ok', x, y: y(b.ok), width: barW, height: plotH - (y(b.ok) - top) }));
      if (b.failed > 0) g.append(svg('rect', { class: 'bar-failed', x, y: y(b.ok + b.failed), width: barW, height: y(b.ok) - y(b.ok + b.failed) }));
      root.append(g);
      // A time label on every 5-minute boundary.
      if (b.t % 300000 === 0) {
        const label = svg('text', { class: 'axis', x: x, y: height - 6, 'text-anchor': i === 0 ? 'start' : 'middle' });
        label.textContent = fmtClock(b.t, false);
        root.append(label);
      }
    });
    box.replaceChildren(root);
  }

  function renderRecent(recent) {
    const body = $('recent-body');
    const list = Array.isArray(recent) ? recent : [];
    body.replaceChildren(...list.map((r) => {
      const tr = el('tr');
      tr.dataset.requestId = r.id;
      const td = (text, className) => { const c = el('td', className, text === null || text === undefined || text === '' ? '\u2014' : text); tr.append(c); return c; };
      td(fmtClock(r.at, true)).title = new Date(r.at).toLocaleString();
      td(r.id, 'mono');
      td(r.method + ' ' + r.route, 'mono');
      td(r.model);
      td(r.stream ? 'yes' : 'no');
      td(r.identity, 'mono');
      td(r.attempts, 'num');
      const outcome = td('');
      outcome.replaceChildren(el('span', 'badge ' + (r.outcome === 'ok' ? 'ok' : 'failed'), r.outcome));
      td(r.status, 'num ' + (r.status < 400 ? 'status-ok' : 'status-failed'));
      td(fmtDuration(r.durationMs), 'num');
      return tr;
    }));
    $('recent-empty').hidden = list.length > 0;
  }

  async function refreshActivity() {
    try {
      const { res, body } = await adminFetch('/admin/activity?minutes=' + ACTIVITY_MINUTES);
      if (!res.ok) throw new HttpError(res.status, messageOf(body, res));
      lastActivity = body || {};
      drawChart(lastActivity);
      renderRecent(lastActivity.recent);
      let ok = 0, failed = 0;
      for (const b of lastActivity.buckets || []) { ok += b.ok; failed += b.failed; }
      const total = ok + failed;
      $('activity-totals').textContent = total + ' requests, ' + failed + ' failed' + (total ? ' (' + (100 * failed / total).toFixed(1) + '%)' : '');
      setBanner('activity-error', '');
    } catch (error) {
      setBanner('activity-error', describeFailure(error));
    }
  }

  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { if (lastActivity) drawChart(lastActivity); }, 150);
  });

  // ---- playground ----------------------------------------------------------
  const keyInput = $('pg-key');
  const modelSelect = $('pg-model');
  const streamBox = $('pg-stream');
  const messageBox = $('pg-message');
  const sendButton = $('pg-send');
  const stopButton = $('pg-stop');
  const answer = $('playground-answer');
  let controller = null;

  try { keyInput.value = sessionStorage.getItem(KEY_STORAGE) || ''; } catch { /* storage blocked: keep it in memory */ }

  function apiHeaders(extra) {
    const headers = Object.assign({ accept: 'application/json' }, extra || {});
    const key = keyInput.value.trim();
    if (key) headers.authorization = 'Bearer ' + key;
    return headers;
  }
  function setStatus(text) { $('pg-status').textContent = text; }
  function showError(text) {
    const e = $('playground-error');
    e.hidden = !text;
    e.textContent = text || '';
  }

  async function loadModels() {
    const status = $('pg-models-status');
    status.textContent = 'loading models\u2026';
    try {
      const res = await fetch('/v1/models', { credentials: 'same-origin', cache: 'no-store', headers: apiHeaders() });
      const body = await readJson(res);
      if (!res.ok) throw new HttpError(res.status, messageOf(body, res));
      const previous = modelSelect.value;
      const ids = (body && Array.isArray(body.data) ? body.data : []).map((m) => m.id).filter((id) => typeof id === 'string');
      modelSelect.replaceChildren(...ids.map((id) => { const o = el('option', '', id); o.value = id; return o; }));
      if (ids.includes(previous)) modelSelect.value = previous;
      status.textContent = ids.length + ' models';
    } catch (error) {
      status.textContent = error instanceof HttpError && error.status === 401
        ? 'models: ' + error.message + (keyInput.value.trim() ? ' (check the API key)' : ' (enter an API key)')
        : 'models: ' + describeFailure(error);
    }
  }

  keyInput.addEventListener('change', () => {
    try { sessionStorage.setItem(KEY_STORAGE, keyInput.value.trim()); } catch { /* ignore */ }
    loadModels();
  });

  // Reads an SSE body, calling onData with each parsed 'data:' payload; returns on [DONE] or end.
  async function readSse(res, onData) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const lines = buffer.split('\n');
      buffer = done ? '' : lines.pop();
      for (const raw of lines) {
        const line = raw.replace(/\r$/, '');
        if (!line.startsWith('data:')) continue; // comments (keep-alives), blank lines, other fields
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        let event;
        try { event = JSON.parse(data); } catch { continue; }
        onData(event);
      }
      if (done) return;
    }
  }

  async function send(event) {
    event.preventDefault();
    if (controller) return;
    const message = messageBox.value;
    if (!message.trim()) { setStatus('write a message first'); messageBox.focus(); return; }
    const stream = streamBox.checked;
    const payload = { messages: [{ role: 'user', content: message }], stream };
    if (modelSelect.value) payload.model = modelSelect.value;
    if (stream) payload.stream_options = { include_usage: true };
    controller = new AbortController();
    sendButton.disabled = true;
    stopButton.disabled = false;
    answer.textContent = '';
    showError('');
    setStatus('waiting\u2026');
    const started = performance.now();
    let requestId = null;
    let finish = null;
    let usage = null;
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
        showError('HTTP ' + res.status + ': ' + messageOf(body, res) + (retry ? ' (retry after ' + retry + ' s)' : ''));
        setStatus('failed' + (requestId ? ' \u00b7 request ' + requestId : ''));
        return;
      }
      const contentType = res.headers.get('content-type') || '';
      if (stream && res.body && contentType.includes('text/event-stream')) {
        setStatus('streaming\u2026');
        await readSse(res, (chunk) => {
          if (chunk.error) {
            streamError = true;
            showError('stream error: ' + (chunk.error.message || JSON.stringify(chunk.error)));
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
        const choice = body && body.choices && body.choices[0];
        answer.textContent = choice && choice.message && typeof choice.message.content === 'string' ? choice.message.content : '';
        finish = choice ? choice.finish_reason : null;
        usage = body ? body.usage : null;
      }
      const parts = [(streamError ? 'failed after ' : 'done in ') + fmtDuration(performance.now() - started)];
      if (finish) parts.push('finish: ' + finish);
      if (usage) parts.push(usage.prompt_tokens + ' + ' + usage.completion_tokens + ' tokens');
      if (requestId) parts.push('request ' + requestId);
      setStatus(parts.join(' \u00b7 '));
    } catch (error) {
      if (error && error.name === 'AbortError') setStatus('stopped');
      else { showError(describeFailure(error)); setStatus('failed'); }
    } finally {
      controller = null;
      sendButton.disabled = false;
      stopButton.disabled = true;
    }
  }

  $('playground-form').addEventListener('submit', send);
  stopButton.addEventListener('click', () => { if (controller) controller.abort(); });
  messageBox.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) $('playground-form').requestSubmit();
  });

  // ---- start -----------------------------------------------------------------
  const refreshIdentitiesNow = poll(refreshIdentities, IDENTITIES_EVERY_MS);
  poll(refreshActivity, ACTIVITY_EVERY_MS);
  loadModels();
})();
`;

const PAGE: InlinePage = { title: 'kimi-gateway &middot; dashboard', css: CSS, body: BODY, script: SCRIPT, connectSelf: true, cacheControl: 'no-store' };

export const DASHBOARD_HTML: string = inlinePageHtml(PAGE);

/** Allows exactly the page's own inline style and script (by hash) and same-origin fetches. */
export const DASHBOARD_CSP: string = inlinePageCsp(PAGE);

/** Headers to serve DASHBOARD_HTML with (the 200 answer of GET /dashboard). */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = inlinePageHeaders(PAGE);

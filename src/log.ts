// Structured logs: one JSON object per line, or a readable line when stdout is a terminal.
// Callers pass fields, never secrets: keys, cookies and proxy URLs are not logged anywhere.

import { writeSync } from 'node:fs';
import type { LogLevel } from './config.ts';

export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level: LogLevel;
  pretty?: boolean;
  write?: (line: string) => void;
}

export function createLogger({ level, pretty = process.stdout.isTTY === true, write }: LoggerOptions): Logger {
  const out = write ?? (pretty ? (line: string) => process.stdout.write(`${line}\n`) : batchedStdout());
  const min = RANK[level];
  const emit = (lvl: LogLevel) => (msg: string, fields?: LogFields) => {
    if (RANK[lvl] < min) return;
    const time = new Date().toISOString();
    if (pretty) {
      const extra = fields ? Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`).join(' ') : '';
      out(`${time} ${lvl.toUpperCase().padEnd(5)} ${msg}${extra ? `  ${extra}` : ''}`);
    } else {
      out(JSON.stringify({ time, level: lvl, msg, ...fields }));
    }
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/**
 * Lines written in one event-loop turn leave in one write (a busy gateway logs a line per
 * request; one syscall each was a measurable share of its CPU). Whatever is still pending
 * when the process exits is written synchronously, so no line is lost.
 */
function batchedStdout(): (line: string) => void {
  let pending = '';
  const flush = () => {
    const text = pending;
    pending = '';
    process.stdout.write(text);
  };
  process.on('exit', () => {
    if (pending !== '') writeSync(1, pending);
  });
  return (line) => {
    if (pending === '') setImmediate(flush);
    pending += `${line}\n`;
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

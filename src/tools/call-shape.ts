// Reading a tool call out of a parsed JSON value, in the shapes models drift to:
// {"name","arguments"}, key variants (function/tool/tool_name/function_name for the name,
// args/parameters/input for the arguments), a nested {"function":{...}} (with or without
// "type":"function"), an array of calls, or {"tool_calls":[...]}.

import { isRecord } from './schema-util.ts';

export interface RawCall {
  /** As the model wrote it: not yet checked to be a declared function. */
  name: string;
  args: unknown;
  /** Whether the object had an arguments key at all (a fenced block without one is not a call). */
  hasArgs: boolean;
}

const NAME_KEYS = ['name', 'function', 'tool', 'tool_name', 'function_name'];
const ARGS_KEYS = ['arguments', 'args', 'parameters', 'input'];

/** The calls a JSON value holds, or null when it is not shaped like a call (or a list of calls). */
export function rawCalls(value: unknown): RawCall[] | null {
  if (isRecord(value) && Array.isArray(value.tool_calls)) return rawCalls(value.tool_calls);
  if (Array.isArray(value)) {
    const calls = value.map(oneCall);
    return calls.length > 0 && calls.every((c) => c !== null) ? (calls as RawCall[]) : null;
  }
  const call = oneCall(value);
  return call === null ? null : [call];
}

function oneCall(value: unknown): RawCall | null {
  if (!isRecord(value)) return null;
  const inner = isRecord(value.function) ? value.function : value;
  const nameKey = NAME_KEYS.find((k) => typeof inner[k] === 'string');
  if (nameKey === undefined) return null;
  const argsKey = ARGS_KEYS.find((k) => Object.hasOwn(inner, k));
  return { name: inner[nameKey] as string, args: argsKey === undefined ? undefined : inner[argsKey], hasArgs: argsKey !== undefined };
}

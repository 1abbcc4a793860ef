// The compact, TypeScript-like type syntax the gateway renders JSON schemas in
// (`city: string, unit?: "c"|"f", tags?: string[], opts?: {a: string}`): a forgiving parser
// and the emulator's rule for filling a value of such a type. It never throws: what it
// cannot read becomes `any`.

export type CompactType =
  | { kind: 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'any' }
  | { kind: 'literal'; value: string | number | boolean | null }
  | { kind: 'array'; of: CompactType }
  | { kind: 'object'; fields: CompactField[] }
  | { kind: 'union'; options: CompactType[] };

export interface CompactField {
  name: string;
  optional: boolean;
  type: CompactType;
}

const ANY: CompactType = { kind: 'any' };
const NAMED = new Set(['string', 'number', 'integer', 'boolean', 'null', 'any']);
const IDENTIFIER = /[A-Za-z_$][\w$-]*/y;
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const JSON_STRING = /"(?:[^"\\]|\\.)*"/y;
// Deeper nesting is read as `any` (and skipped), so a hostile signature cannot overflow the stack.
const MAX_DEPTH = 32;

class Reader {
  pos = 0;
  depth = 0;
  constructor(readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  /** Consumes `token` (after spaces) when it comes next. */
  eat(token: string): boolean {
    this.skipSpace();
    if (!this.text.startsWith(token, this.pos)) return false;
    this.pos += token.length;
    return true;
  }

  match(pattern: RegExp): string | undefined {
    this.skipSpace();
    pattern.lastIndex = this.pos;
    const found = pattern.exec(this.text);
    if (found === null) return undefined;
    this.pos += found[0].length;
    return found[0];
  }

  /** Skips to the next `,` or `stop` at this nesting level (quotes respected), for text it cannot read. */
  skipJunk(stop: string): void {
    let depth = 0;
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos] ?? '';
      if (ch === '"') {
        JSON_STRING.lastIndex = this.pos;
        const str = JSON_STRING.exec(this.text);
        this.pos += str === null ? 1 : str[0].length;
        continue;
      }
      if (depth === 0 && (ch === ',' || ch === stop)) return;
      if (ch === '{' || ch === '(' || ch === '[') depth++;
      if (ch === '}' || ch === ')' || ch === ']') depth--;
      this.pos++;
    }
  }
}

function parseJsonString(token: string): string {
  try {
    return JSON.parse(token) as string;
  } catch {
    return token.slice(1, -1);
  }
}

function nested<T>(r: Reader, read: () => T): T {
  r.depth++;
  try {
    return read();
  } finally {
    r.depth--;
  }
}

function readPrimary(r: Reader): CompactType {
  if (r.depth >= MAX_DEPTH) return ANY;
  if (r.eat('{')) {
    const fields = nested(r, () => readFields(r, '}'));
    r.eat('}');
    return { kind: 'object', fields };
  }
  if (r.eat('(')) {
    const inner = nested(r, () => readUnion(r));
    r.eat(')');
    return inner;
  }
  const str = r.match(JSON_STRING);
  if (str !== undefined) return { kind: 'literal', value: parseJsonString(str) };
  const num = r.match(NUMBER);
  if (num !== undefined) return { kind: 'literal', value: Number(num) };
  const word = r.match(IDENTIFIER);
  if (word === undefined) return ANY;
  if (word === 'true' || word === 'false') return { kind: 'literal', value: word === 'true' };
  return NAMED.has(word) ? ({ kind: word } as CompactType) : ANY;
}

function readPostfix(r: Reader): CompactType {
  let type = readPrimary(r);
  while (r.eat('[]')) type = { kind: 'array', of: type };
  return type;
}

function readUnion(r: Reader): CompactType {
  const options = [readPostfix(r)];
  while (r.eat('|')) options.push(readPostfix(r));
  return options.length === 1 ? options[0]! : { kind: 'union', options };
}

/** `name: T, other?: U` up to `stop` (not consumed). */
function readFields(r: Reader, stop: string): CompactField[] {
  const fields: CompactField[] = [];
  while (r.pos < r.text.length) {
    r.skipSpace();
    if (r.text.startsWith(stop, r.pos)) break;
    const key = r.match(JSON_STRING);
    const name = key === undefined ? r.match(IDENTIFIER) : parseJsonString(key);
    if (name !== undefined) {
      const optional = r.eat('?');
      if (r.eat(':')) fields.push({ name, optional, type: readUnion(r) });
    }
    r.skipJunk(stop);
    if (!r.eat(',')) break;
  }
  return fields;
}

export function parseCompactType(text: string): CompactType {
  return readUnion(new Reader(text));
}

export interface CompactSignature {
  name: string;
  params: CompactField[];
}

/** One function line of the tools block: `name(params)` and, ignored here, ` - description`. */
export function parseSignatureLine(line: string): CompactSignature | undefined {
  const head = /^([\w.-]+)\(/.exec(line);
  if (head === null) return undefined;
  const r = new Reader(line);
  r.pos = head[0].length;
  const params = readFields(r, ')');
  if (!r.eat(')')) return undefined;
  return { name: head[1]!, params };
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * The contract's fill rule: string (and any) → `word`; number/integer → 1; boolean → true;
 * null → null; an enum or union → its first option; array → []; object → {}.
 */
export function fillValue(type: CompactType, word: string): JsonValue {
  switch (type.kind) {
    case 'string':
    case 'any':
      return word;
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'literal':
      return type.value;
    case 'union':
      return fillValue(type.options[0] ?? ANY, word);
    case 'array':
      return [];
    case 'object':
      return {};
  }
}

/** An object with the given fields filled; only the required ones unless `all`. */
export function fillFields(fields: readonly CompactField[], word: string, all: boolean): { [key: string]: JsonValue } {
  // No prototype: a field named "__proto__" stays an ordinary key.
  const out = Object.create(null) as { [key: string]: JsonValue };
  for (const field of fields) if (all || !field.optional) out[field.name] = fillValue(field.type, word);
  return out;
}

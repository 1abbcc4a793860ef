// For streaming with tools offered: how much of the answer received so far can be shown as
// text, because no tool call can start in it. Held back from the first thing that is, or may
// still grow into, a <tool_call> tag (also a closing one) or a ``` fence; all of it when the
// answer starts like a bare JSON call. Raw tags thus never reach a client, even split across chunks.

const TAG = 'tool_call';

export function visibleLength(text: string): number {
  const lead = text.length - text.trimStart().length;
  if (lead === text.length || text[lead] === '{' || text[lead] === '[') return 0;
  for (let i = lead; i < text.length; i++) {
    const c = text[i];
    if (c === '`' && /^`{1,3}$|^```/.test(text.slice(i, i + 3))) return i;
    if (c === '<' && mayBeTag(text, i)) return i;
  }
  return text.length;
}

function mayBeTag(text: string, at: number): boolean {
  const m = /^<\s*\/?\s*([A-Za-z_]*)/.exec(text.slice(at, at + 64))!;
  const word = m[1]!.toLowerCase();
  if (word.startsWith(TAG)) return true;
  const atEnd = at + m[0].length === text.length;
  return atEnd && TAG.startsWith(word);
}

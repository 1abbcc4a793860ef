// Tool-call ids on the Messages API: the turn makes `call_…` ids, Anthropic's clients expect
// `toolu_…`. The random part is the same, so an id maps both ways: the gateway's own calls leave
// as toolu_…, and the ids a client sends back (tool_use, tool_result) come in as call_… again,
// which keeps a stored session's calls and their results matched whichever surface continues it.
// An id of any other form is passed through as it is.

const GATEWAY = 'call_';
const ANTHROPIC = 'toolu_';

/** The id a client sees for one of the turn's calls. */
export const toWireId = (id: string): string => (id.startsWith(GATEWAY) ? ANTHROPIC + id.slice(GATEWAY.length) : id);

/** The id the turn works with for a tool_use / tool_result id a client sent. */
export const fromWireId = (id: string): string => (id.startsWith(ANTHROPIC) ? GATEWAY + id.slice(ANTHROPIC.length) : id);

// (stub until the tools module lands)
export function renderToolCall(call: { name: string; arguments: string }): string {
  return `<tool_call>{"name":${JSON.stringify(call.name)},"arguments":${call.arguments}}</tool_call>`;
}

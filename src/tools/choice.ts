// Which of the declared tools a tool_choice offers to the model, and the parser accepts:
// none for "none", only the named one for a named function, all of them otherwise.

import type { ToolChoice, ToolSpec } from './types.ts';

export function toolsForChoice(tools: readonly ToolSpec[], choice: ToolChoice): ToolSpec[] {
  if (choice.mode === 'none') return [];
  if (choice.mode === 'function') return tools.filter((t) => t.name === choice.name);
  return [...tools];
}

// Small text helpers for prompt lines and problem messages: collapse whitespace, cut to a
// bounded length at a word boundary, quote model text safely.

export const collapseWhitespace = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** Whitespace collapsed, then at most `max` characters: cut at a word boundary when one is near, marked with '…'. */
export function cutText(text: string, max: number): string {
  const flat = collapseWhitespace(text);
  if (flat.length <= max) return flat;
  let cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  if (space >= max / 2) cut = cut.slice(0, space);
  // Never leave half of a surrogate pair behind.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.replace(/[\s,;:]+$/, '')}…`;
}

/** Model text quoted for a problem message: cut to ~80 characters, JSON-quoted so it cannot break the line. */
export const quoteText = (text: string, max = 80): string => JSON.stringify(cutText(text, max));

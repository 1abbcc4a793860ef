// A linear pre-scan of raw HTML that finds the real <script> elements the way a browser's
// tokenizer would: text inside comments, attribute values and raw-text elements (textarea,
// title, style, noscript...) is not markup, so a "<script>" written there is no script.
// It builds nothing, so its cost is a few milliseconds per MB whatever the page holds;
// only the scripts it yields are worth handing to a DOM parser.
//
// Not modelled (a browser would not run such scripts anyway, or the page is malformed):
// the script-data "escaped" states (`<!--` inside a script), foreign content (<svg>, CDATA).

export interface ScriptElement {
  /** The raw start tag, e.g. `<script type="text/javascript" id="x">`. */
  openTag: string;
  /** The raw text between the start tag and `</script`. */
  text: string;
  /** Inside a <template>: never run by a browser. */
  inert: boolean;
}

/** Elements whose content is text up to their own end tag. */
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript']);

export function* scriptElements(html: string): Generator<ScriptElement> {
  const n = html.length;
  let i = 0;
  let templateDepth = 0;
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0) return;
    if (html.startsWith('<!--', lt)) {
      // "<!-->" and "<!--->" are complete (empty) comments.
      if (html.startsWith('>', lt + 4)) i = lt + 5;
      else if (html.startsWith('->', lt + 4)) i = lt + 6;
      else {
        const end = html.indexOf('-->', lt + 4);
        if (end < 0) return; // an unterminated comment runs to the end of the page
        i = end + 3;
      }
      continue;
    }
    const next = html.charCodeAt(lt + 1);
    if (next === 0x21 /* ! */ || next === 0x3f /* ? */) {
      // Doctype, CDATA or a processing instruction: a bogus comment up to the next ">".
      const end = html.indexOf('>', lt + 2);
      if (end < 0) return;
      i = end + 1;
      continue;
    }
    const closing = next === 0x2f; /* / */
    const nameAt = closing ? lt + 2 : lt + 1;
    if (!isAsciiLetter(html.charCodeAt(nameAt))) {
      if (!closing) {
        i = lt + 1; // a lone "<" is text
        continue;
      }
      const end = html.indexOf('>', nameAt); // "</>" or "</ x>": ignored / bogus comment
      if (end < 0) return;
      i = end + 1;
      continue;
    }
    const tag = readTag(html, nameAt);
    if (tag === null) return;
    i = tag.end;
    if (closing) {
      if (tag.name === 'template' && templateDepth > 0) templateDepth--;
      continue;
    }
    if (tag.name === 'template') templateDepth++;
    else if (tag.name === 'plaintext') return; // everything after it is text
    else if (RAW_TEXT.has(tag.name)) {
      const close = findEndTag(html, tag.name, i);
      if (tag.name === 'script') yield { openTag: html.slice(lt, tag.end), text: html.slice(i, close < 0 ? n : close), inert: templateDepth > 0 };
      if (close < 0) return;
      const closeTag = readTag(html, close + 2);
      if (closeTag === null) return;
      i = closeTag.end;
    }
  }
}

function isAsciiLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d;
}

/** Reads a tag from its name to its ">" with quoted attribute values honoured; null when unterminated. */
function readTag(html: string, nameAt: number): { name: string; end: number } | null {
  const n = html.length;
  let j = nameAt;
  while (j < n && !isSpace(html.charCodeAt(j)) && html[j] !== '/' && html[j] !== '>') j++;
  const name = html.slice(nameAt, j).toLowerCase();
  for (;;) {
    while (j < n && (isSpace(html.charCodeAt(j)) || html[j] === '/')) j++;
    if (j >= n) return null;
    if (html[j] === '>') return { name, end: j + 1 };
    // An attribute name (its first character may be "="), then maybe "=" and a value.
    j++;
    while (j < n && !isSpace(html.charCodeAt(j)) && html[j] !== '/' && html[j] !== '>' && html[j] !== '=') j++;
    while (j < n && isSpace(html.charCodeAt(j))) j++;
    if (html[j] !== '=') continue;
    j++;
    while (j < n && isSpace(html.charCodeAt(j))) j++;
    const quote = html[j];
    if (quote === '"' || quote === "'") {
      const close = html.indexOf(quote, j + 1);
      if (close < 0) return null;
      j = close + 1;
    } else {
      while (j < n && !isSpace(html.charCodeAt(j)) && html[j] !== '>') j++;
    }
  }
}

/** Index of the "</name" that ends a raw-text element (case-insensitive, followed by space, "/" or ">"), or -1. */
function findEndTag(html: string, name: string, from: number): number {
  for (let k = html.indexOf('</', from); k >= 0; k = html.indexOf('</', k + 2)) {
    const after = k + 2 + name.length;
    if (html.slice(k + 2, after).toLowerCase() !== name) continue;
    const c = html.charCodeAt(after);
    if (after >= html.length || isSpace(c) || c === 0x2f || c === 0x3e) return k;
  }
  return -1;
}

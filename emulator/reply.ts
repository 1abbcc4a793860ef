// The emulator's deterministic answer text, exported so tests can predict replies.

const TAIL_CHARS = 40;

// BMP only (no surrogate pairs), with some CJK so UTF-8 decoding is exercised.
const FILLER_WORDS =
  ' lorem ipsum dolor sit amet 你好 consectetur adipiscing elit 世界 sed do eiusmod tempor' +
  ' incididunt ut labore et dolore magna aliqua 月球 ut enim ad minim veniam quis nostrud' +
  ' exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat café naïve.';

let filler = FILLER_WORDS.repeat(64);

function fillerOfAtLeast(length: number): string {
  while (filler.length < length) filler += filler;
  return filler;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** The last 40 UTF-16 units of the message, newlines as spaces, never starting mid-pair. */
function messageTail(message: string): string {
  let tail = message.slice(-TAIL_CHARS);
  if (tail.length > 0 && isLowSurrogate(tail.charCodeAt(0))) tail = tail.slice(1);
  return tail.replace(/[\r\n]/g, ' ');
}

/**
 * `Echo[<message.length>]: <last 40 chars of message>` followed by filler, exactly
 * `length` UTF-16 code units long. The model does not change the text.
 */
export function buildReply(message: string, _model: string, length: number): string {
  if (length <= 0) return '';
  const prefix = `Echo[${message.length}]: ${messageTail(message)}`;
  const text =
    prefix.length >= length
      ? prefix.slice(0, length)
      : prefix + fillerOfAtLeast(length - prefix.length).slice(0, length - prefix.length);
  // A cut inside the echoed tail could leave half a surrogate pair; keep the length exact.
  if (isHighSurrogate(text.charCodeAt(text.length - 1))) return `${text.slice(0, -1)} `;
  return text;
}

// Ids for the tool calls the gateway emits: call_ and 24 random letters or digits, like OpenAI's.

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const LENGTH = 24;
// The largest multiple of 62 below 256: bytes at or above it are skipped, so every character is equally likely.
const UNBIASED_BELOW = 248;

export function newToolCallId(): string {
  let id = 'call_';
  while (id.length < 5 + LENGTH) {
    for (const b of crypto.getRandomValues(new Uint8Array(32))) {
      if (b < UNBIASED_BELOW && id.length < 5 + LENGTH) id += ALPHABET[b % ALPHABET.length];
    }
  }
  return id;
}

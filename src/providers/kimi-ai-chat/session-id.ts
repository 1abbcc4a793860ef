// The site's session_id format: session_<epoch ms>_<9 chars [a-z0-9]>.

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function newUpstreamSessionId(now: number = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  let suffix = '';
  for (const b of bytes) suffix += ALPHABET[b % ALPHABET.length];
  return `session_${now}_${suffix}`;
}

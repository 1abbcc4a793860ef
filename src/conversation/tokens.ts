// Token estimate for `usage`. The upstream reports no counts, so the gateway estimates:
// one token per 4 ASCII characters (English BPE averages ~4 chars/token) and one token
// per non-ASCII character (CJK text is close to 1 token/char on Kimi's tokenizer).

export function estimateTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) ascii++;
    else if (c < 0xdc00 || c > 0xdfff) other++; // count a surrogate pair once
  }
  return Math.ceil(ascii / 4) + other;
}

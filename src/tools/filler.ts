// Whether the text a model wrote around its tool calls is filler, to be dropped (content null),
// or something the user should see. The rule, in order:
//   - empty → filler;
//   - longer than FILLER_MAX characters → kept;
//   - otherwise filler only if EVERY sentence, after an optional acknowledgement ("Sure,",
//     "Okay!", "Of course."), is empty or announces the call ("Let me …", "I'll …",
//     "I'm going to …", "Checking …", "One moment …", "Here is the tool call:").
// So "Sure, let me check that for you." is filler; "I'll check. Note: the API only covers
// Europe." is kept. When in doubt (other wording, other languages) the text is kept.

export const FILLER_MAX = 160;

const ACKNOWLEDGEMENT =
  /^(?:sure(?: thing)?|ok(?:ay)?|of course|certainly|alright|all right|absolutely|got it|no problem|understood|great|yes|right)\b[\s,.!:;-]*/i;
const ANNOUNCEMENT = new RegExp(
  '^(?:' +
    [
      "let me|let's|lemme",
      "i'll|i will|i shall",
      "i(?:'m| am) (?:going to|gonna|about to|now going to)",
      "i(?:'m| am) (?:now )?(?:calling|checking|looking|searching|fetching|getting|using|querying|running|invoking)",
      'i need to (?:call|use|check|look|search|fetch|get|query|run|invoke)',
      '(?:now )?(?:calling|checking|looking up|searching|fetching|querying|invoking|using the)',
      '(?:one|just a|a) (?:moment|second|sec)|hold on|please wait|give me a (?:moment|second|sec)',
      "here(?:'s| is) (?:the|a|my) (?:tool |function )?call",
    ].join('|') +
    ')\\b',
  'i',
);

export function isFiller(text: string): boolean {
  const flat = text.replace(/[\u2018\u2019]/g, "'").replace(/\s+/g, ' ').trim();
  if (flat === '') return true;
  if (flat.length > FILLER_MAX) return false;
  return flat.split(/(?<=[.!?:…])\s+/).every((sentence) => {
    const rest = sentence.replace(ACKNOWLEDGEMENT, '');
    return /^[\s.!?:…-]*$/.test(rest) || ANNOUNCEMENT.test(rest);
  });
}

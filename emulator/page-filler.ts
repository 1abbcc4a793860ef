// Deterministic bulk for the chat page: article markup and a JSON blob, like a real
// WordPress page carries, so clients parse a page of realistic size.

const TOPICS = [
  'What is Kimi K2?',
  'Is Kimi AI chat free to use?',
  'How long can my message be?',
  'Which models are available?',
  'Does the chat remember earlier messages?',
  'Can I use Kimi for coding?',
  'How is my data handled?',
  'Why do I see “Invalid security token”?',
];

const SENTENCES = [
  'Kimi K2 is a mixture-of-experts model with a long context window and strong tool use.',
  'The chat on this page runs in your browser and sends each message to our server.',
  'Messages are limited to 1000 characters so that answers stay fast for everyone.',
  'Refresh the page if the conversation stops answering; this renews your session token.',
  'Answers can contain Markdown, code blocks, tables and mathematical notation.',
  '我们支持中文和英文对话，回答质量在两种语言中都很出色。',
];

function article(index: number, origin: string): string {
  const topic = TOPICS[index % TOPICS.length] ?? '';
  const paragraphs = [0, 1, 2]
    .map((k) => `<p>${SENTENCES[(index + k) % SENTENCES.length] ?? ''}</p>`)
    .join('\n');
  return `<section class="wp-block-group faq-item" id="faq-${index}">
<h2 class="wp-block-heading">${topic}</h2>
${paragraphs}
<figure class="wp-block-image size-large"><img decoding="async" width="1024" height="576" src="${origin}/wp-content/uploads/2025/07/kimi-k2-${index}.webp" alt="" class="wp-image-${100 + index}" srcset="${origin}/wp-content/uploads/2025/07/kimi-k2-${index}-300x169.webp 300w, ${origin}/wp-content/uploads/2025/07/kimi-k2-${index}-768x432.webp 768w" sizes="(max-width: 1024px) 100vw, 1024px" /></figure>
</section>
`;
}

function i18nEntries(bytes: number): string {
  const entries: string[] = ['"":{"domain":"kimi-chat","lang":"en_US","plural-forms":"nplurals=2; plural=n != 1;"}'];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const entry = `"kimi_chat_string_${i}":["${SENTENCES[i % SENTENCES.length] ?? ''}"]`;
    entries.push(entry);
    size += entry.length + 1;
  }
  return `{"translation-revision-date":"2025-07-14 08:12:33+0000","generator":"GlotPress\\/4.0.1","domain":"kimi-chat","locale_data":{"kimi-chat":{${entries.join(',')}}}}`;
}

export interface PageFiller {
  articles: string;
  jsonBlob: string;
}

/** About `bytes` characters of filler, split between markup and an inline JSON blob. */
export function buildPageFiller(bytes: number, origin: string): PageFiller {
  const articleBudget = Math.floor(bytes * 0.7);
  let articles = '';
  for (let i = 0; articles.length < articleBudget; i++) articles += article(i, origin);
  return { articles, jsonBlob: i18nEntries(bytes - articleBudget) };
}

// Reading the admin-ajax form the way PHP fills $_POST: only form-encoded bodies count.

export interface MessageForm {
  action: string;
  nonce: string;
  message: string;
  model: string;
  sessionId: string;
}

const EMPTY_FORM: MessageForm = { action: '', nonce: '', message: '', model: '', sessionId: '' };

function fromLookup(get: (key: string) => string): MessageForm {
  return {
    action: get('action'),
    nonce: get('nonce'),
    message: get('message'),
    model: get('model'),
    sessionId: get('session_id'),
  };
}

/** A JSON or text/plain body leaves $_POST empty in PHP, so every field reads as ''. */
export async function readMessageForm(req: Request): Promise<MessageForm> {
  const type = req.headers.get('content-type') ?? '';
  if (type.includes('application/x-www-form-urlencoded')) {
    const params = new URLSearchParams(await req.text());
    return fromLookup((key) => params.get(key) ?? '');
  }
  if (type.includes('multipart/form-data')) {
    const data = await req.formData();
    return fromLookup((key) => {
      const value = data.get(key);
      return typeof value === 'string' ? value : '';
    });
  }
  await req.arrayBuffer();
  return EMPTY_FORM;
}

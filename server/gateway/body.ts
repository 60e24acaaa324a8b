/** JSON and form bodies come back as objects, text as text, anything else as base64. */
export function decodeBody(body: Buffer, contentType: string | null): unknown {
  const type = (contentType ?? '').toLowerCase();
  const text = body.toString('utf8');
  if (type.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  if (type.startsWith('text/') || type.includes('xml') || body.length === 0) return text;
  return { base64: body.toString('base64') };
}

import { SMTPServer } from 'smtp-server';
import { waitFor } from './hub.ts';

/** `raw`: the message with quoted-printable's soft breaks undone (links read whole); `subject`: decoded. */
export type Mail = { to: string[]; raw: string; subject: string };

/** A header's RFC 2047 encoded words (=?UTF-8?Q?…?= and =?UTF-8?B?…?=) as text. */
function decodeWords(value: string): string {
  return value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_all, _charset: string, enc: string, text: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(
          text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
          'latin1',
        ).toString('utf8'),
  );
}

function subjectOf(source: string): string {
  const head = source.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => /^subject:/i.test(l));
  return line ? decodeWords(line.slice(line.indexOf(':') + 1).trim()) : '';
}
export type Mailbox = Awaited<ReturnType<typeof startMailbox>>;

/**
 * A mail server that keeps what it is sent; the test reads the links as the recipient would.
 * `publicUrl`: the hub's PUBLIC_URL, which the mailed links start with. `port`: a given one (a
 * mail server that comes up after the hub tried it), else any free one.
 */
export async function startMailbox(publicUrl: string, port = 0) {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        // Undo quoted-printable's soft line breaks and escaped '=' so a long link reads whole.
        const source = Buffer.concat(chunks).toString('utf8');
        const raw = source.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, subject: subjectOf(source) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const bound = (server.server.address() as { port: number }).port;
  return {
    url: `smtp://127.0.0.1:${bound}`,
    mails,
    to: (address: string) => mails.filter((m) => m.to.includes(address)),
    /** The token of the newest link to `page` mailed to `address`, waiting for it to arrive. */
    async link(address: string, page: 'verify-email' | 'reset-password', count = 1) {
      const pattern = new RegExp(`${publicUrl.replace(/\./g, '\\.')}/${page}/([A-Za-z0-9_-]{43})`);
      const found = await waitFor(
        () => {
          const hits = mails.filter((m) => m.to.includes(address) && pattern.test(m.raw));
          return hits.length >= count && hits;
        },
        10_000,
        `mail with a ${page} link to ${address}`,
      );
      return pattern.exec(found[found.length - 1].raw)![1];
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

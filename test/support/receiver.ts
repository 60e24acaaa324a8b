import http from 'node:http';

export type Received = { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer; at: number };
export type Reply = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number };

/** A local HTTP server playing the receiving end of a webhook; `reply` decides each answer. */
export async function startReceiver(reply: (req: Received, index: number) => Reply = () => ({ status: 200, body: 'ok' })) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
      const index = received.push(r) - 1;
      const answer = reply(r, index);
      const send = () => {
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

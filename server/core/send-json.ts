import type http from 'node:http';

/**
 * As Express's res.json writes an answer, for routes served on the bare Node server. A string,
 * not a Buffer: Node then sends the head and the body in one write.
 */
export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

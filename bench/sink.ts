import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type net from 'node:net';
import { wallNow } from './load.ts';

/**
 * The gateway bench's receiver: a small child process (`node --import tsx bench/sink.ts --sink`),
 * so that recording deliveries does not compete with the load generator's event loop. It answers
 * 200 at once (500 under FAIL_PREFIX, never under HANG_PREFIX) and records each delivery's arrival
 * time, its webhook-id and the `seq` in the body, in one ledger per URL path; the bench asks it
 * questions over the IPC channel (SinkClient).
 */

export type SinkStats = {
  deliveries: number;
  uniqueIds: number;
  duplicateIds: number;
  uniqueSeqs: number;
  /** Deliveries of one seq under a different webhook-id: the same request turned into two events. */
  duplicateSeqs: number;
  badBodies: number;
  first: number;
  last: number;
};
export type SinkQuery = (
  | { op: 'stats' }
  | { op: 'now' }
  | { op: 'window'; from: number; to: number }
  | { op: 'seqRange'; from: number; to: number }
  | { op: 'arrivals'; from: number; to: number }
  | { op: 'times' }
  | { op: 'seqs' }
  | { op: 'seqIds' }
  | { op: 'paths' }
  | { op: 'missing'; seqs: number[] }
) & {
  /** The sink keeps one ledger per URL path (one per destination); default HOOK_PATH. */
  path?: string;
};
export type SinkAnswer = {
  stats: SinkStats;
  now: number;
  window: { count: number };
  seqRange: { count: number; first: number; last: number };
  arrivals: number[];
  /** Every delivery's arrival time at the path, in arrival order. */
  times: number[];
  seqs: number[];
  /** [seq, webhook-id of its first delivery] for every seq delivered at the path. */
  seqIds: [number, string][];
  /** Deliveries per URL path. */
  paths: Record<string, number>;
  missing: number[];
};
type SinkRequest = SinkQuery & { id: number };
type SinkMessage = { type: 'ready'; port: number } | { type: 'answer'; id: number; value: SinkAnswer[keyof SinkAnswer] };

/** The path of the bench's own destination (inbound requests, phases 1–3). */
export const HOOK_PATH = '/hook';
/** Requests to paths under these are never answered (Wirehub's timeout ends them) or answered 500 at once. */
export const HANG_PREFIX = '/hang/';
export const FAIL_PREFIX = '/fail/';

export function runSink(): void {
  // One ledger per URL path: a published event goes to each webhook under the same webhook-id
  // (its eventId), so ids and seqs are only unique within one destination.
  type PathLedger = {
    arrivals: number[]; // every delivery, in arrival order
    firstBySeq: Map<number, number>;
    ids: Set<string>;
    seqIds: Map<number, string>;
    s: SinkStats;
  };
  const ledgers = new Map<string, PathLedger>();
  const ledgerOf = (p: string): PathLedger => {
    let l = ledgers.get(p);
    if (!l) {
      l = {
        arrivals: [],
        firstBySeq: new Map(),
        ids: new Set(),
        seqIds: new Map(),
        s: { deliveries: 0, uniqueIds: 0, duplicateIds: 0, uniqueSeqs: 0, duplicateSeqs: 0, badBodies: 0, first: 0, last: 0 },
      };
      ledgers.set(p, l);
    }
    return l;
  };
  const SEQ = /"seq":(\d+)/;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = wallNow();
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const p = q < 0 ? url : url.slice(0, q);
      if (p.startsWith(FAIL_PREFIX)) {
        res.writeHead(500, { 'content-length': '0' });
        res.end();
      } else if (!p.startsWith(HANG_PREFIX)) {
        res.writeHead(200, { 'content-length': '0' });
        res.end();
      }
      // A hanging receiver counts the attempt (its arrival) like any other.
      const { arrivals, firstBySeq, ids, seqIds, s } = ledgerOf(p);
      s.deliveries++;
      arrivals.push(at);
      if (s.first === 0) s.first = at;
      s.last = at;
      const id = String(req.headers['webhook-id'] ?? '');
      if (ids.has(id)) s.duplicateIds++;
      else ids.add(id);
      const m = SEQ.exec(Buffer.concat(chunks).toString('latin1'));
      if (!m) {
        s.badBodies++;
        return;
      }
      const seq = Number(m[1]);
      const seen = seqIds.get(seq);
      if (seen === undefined) {
        seqIds.set(seq, id);
        firstBySeq.set(seq, at);
      } else if (seen !== id) s.duplicateSeqs++;
    });
  });
  server.keepAliveTimeout = 65_000;

  const answer = (q: SinkQuery): SinkAnswer[keyof SinkAnswer] => {
    const { arrivals, firstBySeq, ids, seqIds, s } = ledgerOf(q.path ?? HOOK_PATH);
    switch (q.op) {
      case 'stats':
        return { ...s, uniqueIds: ids.size, uniqueSeqs: firstBySeq.size };
      case 'now':
        return wallNow();
      case 'window': {
        let count = 0;
        for (const t of arrivals) if (t >= q.from && t < q.to) count++;
        return { count };
      }
      case 'seqRange': {
        let count = 0;
        let first = Infinity;
        let last = 0;
        for (let seq = q.from; seq < q.to; seq++) {
          const t = firstBySeq.get(seq);
          if (t === undefined) continue;
          count++;
          first = Math.min(first, t);
          last = Math.max(last, t);
        }
        return { count, first, last };
      }
      case 'arrivals': {
        const out: number[] = [];
        for (let seq = q.from; seq < q.to; seq++) out.push(firstBySeq.get(seq) ?? -1);
        return out;
      }
      case 'times':
        return arrivals;
      case 'seqs':
        return [...firstBySeq.keys()];
      case 'seqIds':
        return [...seqIds];
      case 'paths':
        return Object.fromEntries([...ledgers].filter(([, l]) => l.s.deliveries > 0).map(([p, l]) => [p, l.s.deliveries]));
      case 'missing':
        return q.seqs.filter((seq) => !firstBySeq.has(seq));
    }
  };
  process.on('message', (msg: SinkRequest) => {
    process.send?.({ type: 'answer', id: msg.id, value: answer(msg) } satisfies SinkMessage);
  });
  // The parent is gone (crash or kill): do not linger.
  process.on('disconnect', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as net.AddressInfo).port;
    process.send?.({ type: 'ready', port } satisfies SinkMessage);
  });
}

export class SinkClient {
  private next = 1;
  private waiting = new Map<number, (v: SinkAnswer[keyof SinkAnswer]) => void>();
  constructor(private readonly child: ChildProcess) {
    child.on('message', (m: SinkMessage) => {
      if (m.type !== 'answer') return;
      this.waiting.get(m.id)?.(m.value);
      this.waiting.delete(m.id);
    });
  }
  ask<Q extends SinkQuery>(q: Q): Promise<SinkAnswer[Q['op']]> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`sink did not answer ${q.op}`));
      }, 30_000);
      this.waiting.set(id, (v) => {
        clearTimeout(t);
        resolve(v as SinkAnswer[Q['op']]);
      });
      this.child.send({ ...q, id } satisfies SinkRequest);
    });
  }
}

// Run as the child: `fork('bench/sink.ts', ['--sink'])` (harness.ts forkSink).
if (process.argv.includes('--sink')) runSink();

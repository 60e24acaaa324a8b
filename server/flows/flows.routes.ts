import { Router, type Request, type RequestHandler } from 'express';
import { authOf } from '../auth/auth.middleware.ts';
import { body, idParam, query } from '../core/validate.ts';
import type { Deps } from '../deps.ts';
import { DestinationFieldsQuery, TestConnectionIn } from './flow-connection.ts';
import type { FlowGraphT } from '../../shared/flow-graph.ts';
import { flowsCounts, flowStats, FlowStatsQuery } from './flow-stats.ts';
import { FlowTestIn } from './flow-test.ts';
import { FlowIn, FlowPatch } from './flows.service.ts';
import { IncomingWebhookIn } from './incoming-webhook.ts';
import { ListenQuery, sourceListener } from './source-listen.ts';
import { SourceSampleQuery } from './source-sample.ts';
import type { Services } from '../services.ts';

/** Flows: the editor's pictures; each destination node is an ordinary hub object underneath. */
export function flowsRoutes(
  deps: Deps,
  {
    flows: svc,
    flowTester: tester,
    flowConnections: connections,
    sourceSamples: samples,
    incomingWebhooks: incoming,
  }: Pick<Services, 'flows' | 'flowTester' | 'flowConnections' | 'sourceSamples' | 'incomingWebhooks'>,
): Router {
  const r = Router();
  const listener = sourceListener(deps, samples);
  const ws = (req: Request) => authOf(req).workspaceId;
  const id = (req: Request) => idParam(req, 'flw', 'Flow');

  r.get('/flows', async (req, res) => {
    res.json(await svc.list(ws(req)));
  });
  r.post('/flows', async (req, res) => {
    res.status(201).json(await svc.create(ws(req), body(req, FlowIn), authOf(req)));
  });
  // Before /flows/:id, which would take these names for ids.
  r.post('/flows/test', async (req, res) => {
    res.json(await tester.run(ws(req), body(req, FlowTestIn), authOf(req)));
  });
  r.post('/flows/test-connection', async (req, res) => {
    res.json(await connections.testConnection(ws(req), body(req, TestConnectionIn).node, authOf(req)));
  });
  r.get('/flows/destination-fields', async (req, res) => {
    res.json(await connections.destinationFields(ws(req), query(req, DestinationFieldsQuery)));
  });
  r.get('/flows/counts', async (req, res) => {
    res.json(await flowsCounts(deps, ws(req), query(req, FlowStatsQuery).hours));
  });
  r.get('/flows/source-sample', async (req, res) => {
    res.json(await samples.get(ws(req), query(req, SourceSampleQuery).source_id));
  });
  // Long poll: answers when the next request reaches the source, or after `wait` seconds.
  r.get('/flows/source-sample/listen', async (req, res) => {
    const q = query(req, ListenQuery);
    const left = new AbortController();
    res.on('close', () => left.abort());
    res.set('Cache-Control', 'no-store');
    res.json(await listener.listen(ws(req), q, left.signal));
  });
  r.post('/flows/incoming-webhook', async (req, res) => {
    const made = await incoming.create(ws(req), body(req, IncomingWebhookIn), authOf(req));
    res.status(made.reused ? 200 : 201).json(made);
  });
  r.get('/flows/:id', async (req, res) => {
    res.json(await svc.get(ws(req), id(req)));
  });
  r.get('/flows/:id/stats', async (req, res) => {
    const { hours } = query(req, FlowStatsQuery);
    const row = await svc.find(ws(req), id(req));
    res.json(await flowStats(deps, row.workspace_id, row.graph as FlowGraphT, hours, row.created_at));
  });
  const update: RequestHandler = async (req, res) => {
    res.json(await svc.update(ws(req), id(req), body(req, FlowPatch), authOf(req)));
  };
  r.put('/flows/:id', update);
  r.patch('/flows/:id', update);
  r.delete('/flows/:id', async (req, res) => {
    const flowId = id(req);
    await svc.remove(ws(req), flowId);
    res.json({ id: flowId, deleted: true });
  });
  return r;
}

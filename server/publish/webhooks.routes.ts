import { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth.middleware.ts';
import { AppError } from '../core/errors.ts';
import { body, idParam } from '../core/validate.ts';
import { EnvelopeKind, wrap } from '../../shared/envelope.ts';
import { eventTypeName } from './event-types.service.ts';
import { compileMappings, MappingError } from '../gateway/mappings.ts';
import { sampleEvent } from './sample-event.ts';
import { parseMappings, WebhookIn, WebhookPatch } from './webhooks.service.ts';
import type { Services } from '../services.ts';

const data = z.record(z.string(), z.unknown());
export const TestIn = z.object({ eventType: eventTypeName.optional(), data: data.optional() }).strict();
export const PreviewIn = z
  .object({ eventType: eventTypeName.optional(), sample: data.optional(), mappings: z.unknown().optional(), envelope: EnvelopeKind.default('flat') })
  .strict()
  .refine((p) => p.eventType !== undefined || p.sample !== undefined, { message: 'give an eventType (its sample is used) or a sample', path: ['eventType'] });

/** Webhooks: the portal's everyday object, stored as a destination plus a connection (seed 000/001/004). */
export function webhooksRoutes({ webhooks: svc, eventTypes }: Pick<Services, 'webhooks' | 'eventTypes'>): Router {
  const r = Router();
  const ws = (req: Request) => authOf(req).workspaceId;
  const id = (req: Request) => idParam(req, 'web', 'Webhook');

  r.get('/webhooks', async (req, res) => {
    res.json(await svc.list(ws(req)));
  });
  r.post('/webhooks', async (req, res) => {
    res.status(201).json(await svc.create(ws(req), body(req, WebhookIn)));
  });
  r.get('/webhooks/:id', async (req, res) => {
    res.json(await svc.get(ws(req), id(req)));
  });
  const update: RequestHandler = async (req, res) => {
    res.json(await svc.update(ws(req), id(req), body(req, WebhookPatch), authOf(req)));
  };
  r.patch('/webhooks/:id', update);
  r.put('/webhooks/:id', update);
  r.delete('/webhooks/:id', async (req, res) => {
    const webhookId = id(req);
    await svc.remove(ws(req), webhookId);
    res.json({ id: webhookId, deleted: true });
  });
  r.post('/webhooks/:id/rotate-secret', async (req, res) => {
    res.json(await svc.rotateSecret(ws(req), id(req)));
  });
  r.post('/webhooks/:id/test', async (req, res) => {
    res.json(await svc.test(ws(req), id(req), body(req, TestIn)));
  });
  const toggles: [string, (w: string, i: string) => Promise<unknown>][] = [
    ['pause', (w, i) => svc.setPaused(w, i, true)],
    ['resume', (w, i) => svc.setPaused(w, i, false)],
    ['unpause', (w, i) => svc.setPaused(w, i, false)],
    ['enable', (w, i) => svc.setEnabled(w, i, true)],
    ['disable', (w, i) => svc.setEnabled(w, i, false)],
  ];
  for (const [action, run] of toggles) {
    r.post(`/webhooks/:id/${action}`, async (req, res) => {
      res.json(await run(ws(req), id(req)));
    });
  }

  /** The exact body a webhook with these mappings would send for the event type's sample (or the given one). */
  r.post('/mappings/preview', async (req, res) => {
    const input = body(req, PreviewIn);
    const mappings = parseMappings(input.mappings, input.envelope);
    const event = await sampleEvent(eventTypes, ws(req), input.eventType, input.sample);
    let fields: Record<string, unknown>;
    try {
      fields = mappings ? await compileMappings(mappings)(event) : event.data;
    } catch (err) {
      if (!(err instanceof MappingError)) throw err;
      throw new AppError(422, 'INVALID_MAPPING', err.message, [{ path: `mappings.${err.index}.expression`, message: err.message }]);
    }
    const sent = wrap(input.envelope, event, ws(req), fields);
    res.json({ eventType: event.eventType, body: sent, raw: JSON.stringify(sent) });
  });
  return r;
}

import type { DeliveryResult, OutboundMessage } from '../../connectors/types.ts';
import { APPLICATION_SOURCE_TYPE } from '../hub/application-source.ts';
import { isPublishedEvent, wrap } from '../hub/envelope.ts';
import { compileExpression, compileMappings, ExpressionError, expressionFailure, type CompiledMappings } from '../hub/mappings.ts';
import { decodeBody } from '../gateway/body.ts';
import { isPlainObject, type Rule, type TransformRuleT } from '../gateway/rules.ts';

/** What the engine knows of an event when it shapes the body a destination receives. */
export type ShapeInput = {
  id: string;
  workspace_id: string;
  connection_id: string;
  connection_updated_at: Date;
  source_type: string;
  rules: Rule[];
  body: Buffer;
  content_type: string | null;
  /** Only read for inbound requests with a transform rule. */
  request: { headers: Record<string, string>; query: Record<string, unknown>; path: string } | null;
};

export type Shaped = {
  /** The published event's id when there is one (stable across retries and replays), else the event row's. */
  messageId: string;
  eventType?: string;
  body: Buffer;
  contentType: string | null;
  payload: unknown;
  /** The body differs from the stored request's, so the attempt keeps a copy. */
  transformed: boolean;
};

const JSON_TYPE = 'application/json';

type Reshape = (input: unknown) => Promise<Record<string, unknown>>;
type CompiledTransform = { expression: Reshape | null; mappings: CompiledMappings | null };

/** The rule's expression, whose result must be an object: it becomes the data (or body) the mappings read. */
function reshape(source: string): Reshape {
  let run: (input: unknown) => Promise<unknown>;
  try {
    run = compileExpression(source);
  } catch (err) {
    // Checked on save; a rule stored before that check reaches here and fails its events clearly.
    throw new ExpressionError((err as Error).message);
  }
  return async (input) => {
    let out: unknown;
    try {
      out = await run(input);
    } catch (err) {
      throw new ExpressionError(expressionFailure(err));
    }
    if (!isPlainObject(out)) {
      const got = out === undefined ? 'nothing' : Array.isArray(out) ? 'an array' : out === null ? 'null' : `a ${typeof out}`;
      throw new ExpressionError(`the result must be an object, got ${got}`);
    }
    return out;
  };
}

/**
 * Turns a stored request into what one connection's destination receives: published events in
 * the stable envelope with the connection's mapped fields, inbound requests as they came unless
 * a transform rule maps them. Runs at delivery time, so a retry delivers under the current rules.
 */
export class OutboundShaper {
  private compiled = new Map<string, CompiledTransform>();

  private transformOf(ev: ShapeInput, rule: TransformRuleT): CompiledTransform {
    const key = `${ev.connection_id}:${ev.connection_updated_at.getTime()}`;
    let fns = this.compiled.get(key);
    if (!fns) {
      if (this.compiled.size > 5000) this.compiled.clear();
      fns = {
        expression: rule.expression ? reshape(rule.expression) : null,
        mappings: rule.mappings ? compileMappings(rule.mappings) : null,
      };
      this.compiled.set(key, fns);
    }
    return fns;
  }

  /** Throws a MappingError (an ExpressionError for the rule's expression) when the transform cannot run on this event. */
  async shape(ev: ShapeInput): Promise<Shaped> {
    const rule = ev.rules.find((r): r is TransformRuleT => r.type === 'transform');
    const plain = { messageId: ev.id, body: ev.body, contentType: ev.content_type, transformed: false };
    if (ev.source_type === APPLICATION_SOURCE_TYPE) {
      const stored: unknown = JSON.parse(ev.body.toString('utf8'));
      if (isPublishedEvent(stored)) {
        const { expression, mappings } = rule ? this.transformOf(ev, rule) : { expression: null, mappings: null };
        const event = expression ? { ...stored, data: await expression(stored.data) } : stored;
        const fields = mappings ? await mappings(event) : event.data;
        const payload = wrap(rule?.envelope ?? 'flat', event, ev.workspace_id, fields);
        return { messageId: event.eventId, eventType: event.eventType, body: Buffer.from(JSON.stringify(payload)), contentType: JSON_TYPE, payload, transformed: true };
      }
    }
    if (!rule) return { ...plain, payload: parsed(ev) };
    const { expression, mappings } = this.transformOf(ev, rule);
    const request = { ...(ev.request ?? { headers: {}, query: {}, path: '/' }), body: decodeBody(ev.body, ev.content_type) };
    const view = expression ? { ...request, body: await expression(request) } : request;
    const payload = mappings ? await mappings(view) : view.body;
    return { ...plain, body: Buffer.from(JSON.stringify(payload)), contentType: JSON_TYPE, payload, transformed: true };
  }
}

function parsed(ev: ShapeInput): unknown {
  if (!ev.content_type?.includes('json')) return undefined;
  try {
    return JSON.parse(ev.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** What a connector is handed for one attempt of a shaped event. */
export function outboundMessage(shaped: Shaped, at: Date, signingSecret: string, previousRecordId?: string): OutboundMessage {
  return {
    eventId: shaped.messageId,
    eventType: shaped.eventType,
    timestamp: Math.floor(at.getTime() / 1000),
    body: shaped.body,
    contentType: shaped.contentType,
    payload: shaped.payload,
    signingSecret,
    previousRecordId,
  };
}

/** An event its mapping cannot turn into a body: retrying cannot help until the mapping is fixed. */
export function payloadFailure(err: Error, url: string, started: Date): DeliveryResult {
  return { ok: false, retryable: false, errorCode: 'PAYLOAD', error: err.message, request: { method: 'POST', url, headers: {} }, durationMs: Date.now() - started.getTime() };
}

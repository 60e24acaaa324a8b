import { TRANSPORT_HEADERS } from '../../connectors/http-webhook/signature.ts';
import type { DeliveryResult, OutboundMessage } from '../../connectors/types.ts';
import { APPLICATION_SOURCE_TYPE } from '../gateway/source-types.ts';
import { isPublishedEvent, wrap } from '../../shared/envelope.ts';
import { compileExpression, compileMappings, ExpressionError, expressionFailure, MappingError, type CompiledMappings } from '../gateway/mappings.ts';
import { decodeBody } from '../gateway/body.ts';
import {
  compileStoredFilter,
  isPlainObject,
  splitFilters,
  type CompiledFilter,
  type Rule,
  type TransformationRuleT,
  type TransformRuleT,
} from '../gateway/rules.ts';
import type { NewTransformationExecution } from '../db/schema.ts';
import type { SandboxRequest } from '../transformations/sandbox.ts';
import { executionRow, runnerFor, type TransformationRunner } from '../transformations/transformation-runner.ts';
import type { Deps } from '../deps.ts';

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
  /** Only read for inbound requests with a transform or transformation rule. */
  request: { headers: Record<string, string>; query: Record<string, unknown>; path: string } | null;
  request_id?: string;
  /** The transformation's updated_at as the claim read it: its cached code is reused while it matches. */
  transformation_version?: string | null;
};

/** What a transformation changed besides the body, for destinations that send HTTP requests. */
export type Forward = { headers: Record<string, string>; path?: string; query?: Record<string, unknown> };

export type Shaped = {
  /** The published event's id when there is one (stable across retries and replays), else the event row's. */
  messageId: string;
  eventType?: string;
  body: Buffer;
  contentType: string | null;
  payload: unknown;
  /** The body differs from the stored request's, so the attempt keeps a copy. */
  transformed: boolean;
  forward?: Forward;
};

/** The transformation could not run or returned something unusable: the event fails, and a retry runs the current code. */
export class TransformationFailed extends MappingError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(-1, '', message, true);
  }
}

/** The transformed request did not pass a filter listed after the transformation rule. */
export class TransformationFiltered extends MappingError {
  constructor() {
    super(-1, '', 'the transformed request does not pass the filter after the transformation', true);
  }
}

export type ShapeOptions = {
  /** Receives each transformation run, to be stored as an execution. */
  record?: (execution: NewTransformationExecution) => void;
};

/** Never copied from a transformation's headers: hop-by-hop, framing, and what the connector signs or sets itself. */
const NOT_FORWARDED = new Set(TRANSPORT_HEADERS);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * The headers, path and query a transformation changed or added. Only changes are forwarded:
 * without a transformation the inbound headers are not passed on, and an identity transformation
 * must not change what a destination receives.
 */
function forwarded(input: SandboxRequest, output: SandboxRequest): Forward {
  const headers: Record<string, string> = {};
  const before = new Map(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v]));
  for (const [name, value] of Object.entries(output.headers)) {
    const key = name.toLowerCase();
    if (before.get(key) === value || NOT_FORWARDED.has(key) || key.startsWith('x-wirehub-') || key.startsWith('webhook-')) continue;
    if (!HEADER_NAME.test(name) || /[\r\n\0]/.test(value))
      throw new TransformationFailed('BAD_RESULT', `BAD_RESULT: headers.${name} cannot be sent in an HTTP request`);
    headers[key] = value;
  }
  return {
    headers,
    ...(output.path !== input.path ? { path: output.path } : {}),
    ...(JSON.stringify(output.query) !== JSON.stringify(input.query) ? { query: output.query } : {}),
  };
}

/** A transformed body without a transform rule: text stays text, anything else is sent as JSON. */
function encodeBody(body: unknown, headers: Record<string, string>, original: string | null): { body: Buffer; contentType: string } {
  if (typeof body === 'string') {
    const declared = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
    const textual = original && (original.startsWith('text/') || original.includes('xml')) ? original : null;
    return { body: Buffer.from(body, 'utf8'), contentType: declared ?? textual ?? 'text/plain; charset=utf-8' };
  }
  return { body: Buffer.from(JSON.stringify(body ?? null)), contentType: JSON_TYPE };
}

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

const shapers = new WeakMap<TransformationRunner, OutboundShaper>();

/** The engine and previews (bulk dry runs, test deliveries) share one shaper per hub, transformations included, and its caches. */
export function shaperFor(deps: Pick<Deps, 'db' | 'box' | 'sandbox'>): OutboundShaper {
  const runner = runnerFor(deps);
  let shaper = shapers.get(runner);
  if (!shaper) {
    shaper = new OutboundShaper(runner);
    shapers.set(runner, shaper);
  }
  return shaper;
}

/**
 * Turns a stored request into what one connection's destination receives: published events in
 * the stable envelope with the connection's mapped fields, inbound requests as they came unless
 * a transform rule maps them. Runs at delivery time, so a retry delivers under the current rules.
 */
export class OutboundShaper {
  private compiled = new Map<string, CompiledTransform>();
  private afterFilters = new Map<string, CompiledFilter | null>();

  /** Without a runner (previews that cannot reach the sandbox), an event with a transformation rule fails to shape. */
  constructor(private readonly transformations?: TransformationRunner) {}

  private filterAfter(ev: ShapeInput): CompiledFilter | null {
    const key = `${ev.connection_id}:${ev.connection_updated_at.getTime()}`;
    let f = this.afterFilters.get(key);
    if (f === undefined) {
      if (this.afterFilters.size > 5000) this.afterFilters.clear();
      const filters = splitFilters(ev.rules).transformed.map(compileStoredFilter);
      f = filters.length === 0 ? null : (req) => filters.every((one) => one(req));
      this.afterFilters.set(key, f);
    }
    return f;
  }

  /** Runs the connection's transformation, records the run, and applies the filters listed after it. */
  private async transformation(ev: ShapeInput, rule: TransformationRuleT, input: SandboxRequest, opts: ShapeOptions): Promise<SandboxRequest> {
    const id = rule.transformation_id ?? '';
    if (!this.transformations) throw new TransformationFailed('UNAVAILABLE', `transformation ${id} is not run here`);
    const t = await this.transformations.load(id, ev.transformation_version);
    if (!t || t.workspace_id !== ev.workspace_id) throw new TransformationFailed('NOT_FOUND', `transformation ${id} no longer exists`);
    const result = await this.transformations.run(t, input, {
      connection_id: ev.connection_id,
      event_id: ev.id,
      request_id: ev.request_id ?? null,
      team_id: ev.workspace_id,
    });
    opts.record?.(executionRow(t, input, result, { event_id: ev.id, request_id: ev.request_id, connection_id: ev.connection_id }));
    if (!result.ok) throw new TransformationFailed(result.error.code, `${result.error.code}: ${result.error.message}`);
    const filter = this.filterAfter(ev);
    let passes = true;
    if (filter) {
      try {
        passes = filter(result.request);
      } catch (err) {
        throw new MappingError(-1, '', `the filter after the transformation failed: ${(err as Error).message}`, true);
      }
    }
    if (!passes) throw new TransformationFiltered();
    return result.request;
  }

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

  /**
   * Throws a MappingError when the event cannot be shaped: an ExpressionError for the transform
   * rule's expression, TransformationFailed / TransformationFiltered for the transformation rule.
   * The transformation runs first, on `{headers, body, query, path}` (a published event's body is
   * its data), then the filters listed after it, then the transform rule on its result.
   */
  async shape(ev: ShapeInput, opts: ShapeOptions = {}): Promise<Shaped> {
    const rule = ev.rules.find((r): r is TransformRuleT => r.type === 'transform');
    const code = ev.rules.find((r): r is TransformationRuleT => r.type === 'transformation');
    const plain = { messageId: ev.id, body: ev.body, contentType: ev.content_type, transformed: false };
    if (ev.source_type === APPLICATION_SOURCE_TYPE) {
      const stored: unknown = JSON.parse(ev.body.toString('utf8'));
      if (isPublishedEvent(stored)) {
        let published = stored;
        let forward: Forward | undefined;
        if (code) {
          const input = { headers: {}, body: stored.data, query: {}, path: '/' };
          const out = await this.transformation(ev, code, input, opts);
          if (!isPlainObject(out.body))
            throw new TransformationFailed('BAD_RESULT', "BAD_RESULT: a published event's body must stay an object (it becomes the event's data)");
          published = { ...stored, data: out.body };
          forward = forwarded(input, out);
        }
        const { expression, mappings } = rule ? this.transformOf(ev, rule) : { expression: null, mappings: null };
        const event = expression ? { ...published, data: await expression(published.data) } : published;
        const fields = mappings ? await mappings(event) : event.data;
        const payload = wrap(rule?.envelope ?? 'flat', event, ev.workspace_id, fields);
        return {
          messageId: event.eventId,
          eventType: event.eventType,
          body: Buffer.from(JSON.stringify(payload)),
          contentType: JSON_TYPE,
          payload,
          transformed: true,
          ...(forward ? { forward } : {}),
        };
      }
    }
    if (!rule && !code) return { ...plain, payload: parsed(ev) };
    const request = { ...(ev.request ?? { headers: {}, query: {}, path: '/' }), body: decodeBody(ev.body, ev.content_type) };
    let view: SandboxRequest = request;
    let forward: Forward | undefined;
    if (code) {
      view = await this.transformation(ev, code, request, opts);
      forward = forwarded(request, view);
    }
    if (!rule) {
      const out = encodeBody(view.body, view.headers, ev.content_type);
      return {
        ...plain,
        body: out.body,
        contentType: out.contentType,
        payload: out.contentType === JSON_TYPE ? view.body : undefined,
        transformed: true,
        ...(forward ? { forward } : {}),
      };
    }
    const { expression, mappings } = this.transformOf(ev, rule);
    const reshaped = expression ? { ...view, body: await expression(view) } : view;
    const payload = mappings ? await mappings(reshaped) : reshaped.body;
    return { ...plain, body: Buffer.from(JSON.stringify(payload)), contentType: JSON_TYPE, payload, transformed: true, ...(forward ? { forward } : {}) };
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
    ...(shaped.forward ? { forward: shaped.forward } : {}),
  };
}

/** An event its mapping cannot turn into a body: retrying cannot help until the mapping is fixed. */
export function payloadFailure(err: Error, url: string, started: Date, now = Date.now()): DeliveryResult {
  return {
    ok: false,
    retryable: false,
    errorCode: 'PAYLOAD',
    error: err.message,
    request: { method: 'POST', url, headers: {} },
    durationMs: now - started.getTime(),
  };
}

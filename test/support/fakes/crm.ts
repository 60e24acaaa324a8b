import http from 'node:http';
import { crmRelayConnector } from '../../../connectors/crm-relay/index.ts';
import type { OutboundMessage } from '../../../connectors/types.ts';
import type { ContractHarness, FakeVendor, VendorMode } from '../connector-contract.ts';

export type LoggedRequest = { method: string; path: string; query: URLSearchParams; headers: http.IncomingHttpHeaders; body: string };

export type HubspotContact = { id: string; properties: Record<string, string>; createdAt: string; updatedAt: string; archived: false };
type EmailEntry = { value: string; primary: boolean; label?: string };
export type PipedrivePerson = {
  id: number;
  name: string;
  email: EmailEntry[];
  phone: EmailEntry[];
  add_time: string;
  update_time: string;
  [field: string]: unknown;
};
export type GenericLead = { id: string; body: unknown };

export type CrmFake = {
  url: string;
  /** Tokens the fake accepts. */
  hubspotToken: string;
  pipedriveToken: string;
  genericToken: string;
  contacts: Map<string, HubspotContact>;
  persons: Map<number, PipedrivePerson>;
  leads: Map<string, GenericLead>;
  requests: LoggedRequest[];
  setMode(mode: VendorMode): void;
  close(): Promise<void>;
};

// HubSpot refuses properties a portal does not define; these are the defaults a lead would touch.
const HUBSPOT_PROPERTIES = new Set([
  'email',
  'firstname',
  'lastname',
  'phone',
  'company',
  'website',
  'jobtitle',
  'city',
  'message',
  'lifecyclestage',
  'hs_lead_status',
  'lead_intent',
  'chatbot_name',
]);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
const json = (status: number, body?: unknown, headers: Record<string, string> = {}): Reply => ({ status, body, headers });
const now = () => new Date().toISOString();
const correlationId = () => crypto.randomUUID();

/**
 * One local server playing HubSpot (CRM v3 contacts), Pipedrive (v1 persons, users/me) and a generic
 * JSON lead endpoint (/generic/leads), with the response shapes the real services use.
 */
export async function startCrmFake(): Promise<CrmFake> {
  let mode: VendorMode = 'ok';
  let nextHubspotId = 51;
  let nextPersonId = 1;
  let nextLeadId = 1;
  const fake = {
    hubspotToken: 'pat-na1-11111111-2222-3333-4444-555555555555',
    pipedriveToken: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
    genericToken: 'generic-secret-token',
    contacts: new Map<string, HubspotContact>(),
    persons: new Map<number, PipedrivePerson>(),
    leads: new Map<string, GenericLead>(),
    requests: [] as LoggedRequest[],
  };

  const vendorOf = (path: string) => (path.startsWith('/crm/') ? 'hubspot' : path.startsWith('/api/v1/') ? 'pipedrive' : 'generic');

  /** What each vendor answers in a failure mode, before looking at the request. */
  function modeReply(vendor: string): Reply | undefined {
    switch (mode) {
      case 'ok':
        return undefined;
      case 'server-error':
        return vendor === 'hubspot'
          ? json(500, { status: 'error', message: 'internal error', correlationId: correlationId(), category: 'INTERNAL_ERROR' })
          : vendor === 'pipedrive'
            ? json(500, { success: false, error: 'Internal server error', errorCode: 500 })
            : json(500, { error: 'internal error' });
      case 'rate-limited':
        return vendor === 'hubspot'
          ? json(
              429,
              {
                status: 'error',
                message: 'You have reached your secondly limit.',
                errorType: 'RATE_LIMIT',
                correlationId: correlationId(),
                policyName: 'SECONDLY',
              },
              { 'retry-after': '2' },
            )
          : vendor === 'pipedrive'
            ? json(429, { success: false, error: 'Request over limit', errorCode: 429 }, { 'retry-after': '2' })
            : json(429, { error: 'too many requests' }, { 'retry-after': '2' });
      case 'auth':
        return authFailure(vendor);
      case 'not-found':
        return vendor === 'hubspot'
          ? json(404, { status: 'error', message: 'Not Found', correlationId: correlationId(), category: 'OBJECT_NOT_FOUND' })
          : vendor === 'pipedrive'
            ? json(404, { success: false, error: 'Not found', errorCode: 404 })
            : json(404, { error: 'not found' });
    }
  }

  function authFailure(vendor: string): Reply {
    if (vendor === 'hubspot') {
      return json(401, {
        status: 'error',
        message:
          'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
        correlationId: correlationId(),
        category: 'INVALID_AUTHENTICATION',
      });
    }
    if (vendor === 'pipedrive')
      return json(401, {
        success: false,
        error: 'unauthorized access',
        errorCode: 401,
        error_info: 'Please check developers.pipedrive.com for more information about Pipedrive API.',
      });
    return json(401, { error: 'invalid token' });
  }

  function hubspot(req: LoggedRequest): Reply {
    if (req.headers.authorization !== `Bearer ${fake.hubspotToken}`) return authFailure('hubspot');
    const notFound = () =>
      json(404, {
        status: 'error',
        message: 'Object not found.  objectId are usually numeric.',
        correlationId: correlationId(),
        context: { id: [req.path.split('/').pop()] },
        category: 'OBJECT_NOT_FOUND',
      });
    if (req.method === 'GET' && req.path === '/crm/v3/objects/contacts') {
      const limit = Number(req.query.get('limit') ?? 10);
      return json(200, { results: [...fake.contacts.values()].slice(0, limit) });
    }
    const body = parse(req.body);
    const properties = (body as { properties?: Record<string, string> } | undefined)?.properties;
    if ((req.method === 'POST' || req.method === 'PATCH') && (typeof properties !== 'object' || properties === null)) {
      return json(400, {
        status: 'error',
        message: 'Invalid input JSON on line 1, column 1: properties is required',
        correlationId: correlationId(),
        category: 'VALIDATION_ERROR',
      });
    }
    const invalid = properties && validateHubspot(properties);
    if (invalid) return invalid;
    const byEmail = (email: string) => [...fake.contacts.values()].find((c) => c.properties.email?.toLowerCase() === email.toLowerCase());

    if (req.method === 'POST' && req.path === '/crm/v3/objects/contacts' && properties) {
      const existing = properties.email ? byEmail(properties.email) : undefined;
      if (existing) {
        return json(409, {
          status: 'error',
          message: `Contact already exists. Existing ID: ${existing.id}`,
          correlationId: correlationId(),
          category: 'CONFLICT',
        });
      }
      const id = String(nextHubspotId++);
      const contact: HubspotContact = { id, properties: { ...properties }, createdAt: now(), updatedAt: now(), archived: false };
      fake.contacts.set(id, contact);
      return json(201, {
        id,
        properties: { ...contact.properties, hs_object_id: id, createdate: contact.createdAt, lastmodifieddate: contact.updatedAt },
        createdAt: contact.createdAt,
        updatedAt: contact.updatedAt,
        archived: false,
      });
    }
    const one = /^\/crm\/v3\/objects\/contacts\/([^/]+)$/.exec(req.path);
    if (req.method === 'PATCH' && one && properties) {
      const contact = fake.contacts.get(decodeURIComponent(one[1]));
      if (!contact) return notFound();
      const clash = properties.email ? byEmail(properties.email) : undefined;
      if (clash && clash.id !== contact.id) {
        return json(409, {
          status: 'error',
          message: `A contact with email ${properties.email} already exists. Existing ID: ${clash.id}`,
          correlationId: correlationId(),
          category: 'CONFLICT',
        });
      }
      Object.assign(contact.properties, properties);
      contact.updatedAt = now();
      return json(200, {
        id: contact.id,
        properties: { ...contact.properties, hs_object_id: contact.id, lastmodifieddate: contact.updatedAt },
        createdAt: contact.createdAt,
        updatedAt: contact.updatedAt,
        archived: false,
      });
    }
    return json(404, { status: 'error', message: 'Not Found', correlationId: correlationId(), category: 'OBJECT_NOT_FOUND' });
  }

  function validateHubspot(properties: Record<string, string>): Reply | undefined {
    const problems: { isValid: false; message: string; error: string; name: string }[] = [];
    for (const [name, value] of Object.entries(properties)) {
      if (!HUBSPOT_PROPERTIES.has(name)) problems.push({ isValid: false, message: `Property "${name}" does not exist`, error: 'PROPERTY_DOESNT_EXIST', name });
      else if (name === 'email' && !EMAIL.test(value))
        problems.push({ isValid: false, message: `Email address ${value} is invalid`, error: 'INVALID_EMAIL', name });
    }
    if (!problems.length) return undefined;
    return json(400, {
      status: 'error',
      message: `Property values were not valid: ${JSON.stringify(problems)}`,
      correlationId: correlationId(),
      category: 'VALIDATION_ERROR',
    });
  }

  function pipedrive(req: LoggedRequest): Reply {
    if (req.query.get('api_token') !== fake.pipedriveToken) return authFailure('pipedrive');
    const body = parse(req.body) as Record<string, unknown> | undefined;
    if (req.method === 'GET' && req.path === '/api/v1/users/me') {
      return json(200, {
        success: true,
        data: { id: 7, name: 'Pat Owner', email: 'pat@acme.example', company_id: 99, company_name: 'Acme Plumbing', company_domain: 'acme', active_flag: true },
      });
    }
    if (req.method === 'GET' && req.path === '/api/v1/persons/search') {
      const term = (req.query.get('term') ?? '').toLowerCase();
      const hits = [...fake.persons.values()].filter((p) => p.email.some((e) => e.value.toLowerCase() === term));
      return json(200, {
        success: true,
        data: {
          items: hits.map((p) => ({
            result_score: 1,
            item: { id: p.id, type: 'person', name: p.name, phones: p.phone.map((x) => x.value), emails: p.email.map((x) => x.value) },
          })),
        },
        additional_data: { pagination: { start: 0, limit: 100, more_items_in_collection: false } },
      });
    }
    if (req.method === 'POST' && req.path === '/api/v1/persons') {
      if (!body || typeof body.name !== 'string' || !body.name)
        return json(400, {
          success: false,
          error: 'Name must be given.',
          errorCode: 400,
          error_info: 'Please check developers.pipedrive.com for more information about Pipedrive API.',
        });
      const id = nextPersonId++;
      const person: PipedrivePerson = {
        ...body,
        id,
        name: body.name,
        email: entries(body.email),
        phone: entries(body.phone),
        add_time: now(),
        update_time: now(),
      };
      fake.persons.set(id, person);
      return json(201, { success: true, data: person, related_objects: {} });
    }
    const one = /^\/api\/v1\/persons\/(\d+)$/.exec(req.path);
    if (req.method === 'PUT' && one) {
      const person = fake.persons.get(Number(one[1]));
      if (!person)
        return json(404, {
          success: false,
          error: 'Person not found',
          errorCode: 404,
          error_info: 'Please check developers.pipedrive.com for more information about Pipedrive API.',
        });
      Object.assign(person, body, {
        id: person.id,
        email: body?.email ? entries(body.email) : person.email,
        phone: body?.phone ? entries(body.phone) : person.phone,
        update_time: now(),
      });
      return json(200, { success: true, data: person, related_objects: {} });
    }
    return json(404, { success: false, error: 'Unknown method .', errorCode: 404 });
  }

  function generic(req: LoggedRequest): Reply {
    if (req.headers.authorization !== `Bearer ${fake.genericToken}`) return authFailure('generic');
    if ((req.method === 'HEAD' || req.method === 'OPTIONS') && req.path === '/generic/leads') return { status: 204, headers: { allow: 'POST, HEAD, OPTIONS' } };
    const body = parse(req.body) as Record<string, unknown> | undefined;
    const valid = body && typeof body.email === 'string' && EMAIL.test(body.email);
    if (req.method === 'POST' && req.path === '/generic/leads') {
      if (!valid) return json(422, { error: { message: 'email is required and must be an address' } });
      const id = `lead_${nextLeadId++}`;
      fake.leads.set(id, { id, body });
      return json(201, { id, status: 'created' });
    }
    const one = /^\/generic\/leads\/([^/]+)$/.exec(req.path);
    if (req.method === 'PATCH' && one) {
      const lead = fake.leads.get(decodeURIComponent(one[1]));
      if (!lead) return json(404, { error: 'no such lead' });
      if (!valid) return json(422, { error: { message: 'email is required and must be an address' } });
      lead.body = body;
      return json(200, { id: lead.id, status: 'updated' });
    }
    return json(404, { error: 'not found' });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const logged: LoggedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      fake.requests.push(logged);
      const vendor = vendorOf(url.pathname);
      const reply = modeReply(vendor) ?? (vendor === 'hubspot' ? hubspot(logged) : vendor === 'pipedrive' ? pipedrive(logged) : generic(logged));
      const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
      res.writeHead(reply.status, { ...(text ? { 'content-type': 'application/json;charset=utf-8' } : {}), ...reply.headers });
      res.end(req.method === 'HEAD' ? undefined : text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    ...fake,
    url: `http://127.0.0.1:${port}`,
    setMode: (m) => {
      mode = m;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parse(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Pipedrive accepts a string or `[{value, primary, label}]` and always answers with the array. */
function entries(v: unknown): EmailEntry[] {
  if (typeof v === 'string') return [{ value: v, primary: true }];
  if (!Array.isArray(v)) return [];
  return v.filter((e): e is EmailEntry => typeof e === 'object' && e !== null && typeof (e as EmailEntry).value === 'string');
}

/** A flat `lead.captured` envelope, as the hub hands it to a destination. */
export function leadMessage(fields: Record<string, unknown> = {}, extra: Partial<OutboundMessage> = {}): OutboundMessage {
  const payload = {
    name: 'Jane Smith',
    email: 'jane@example.com',
    phone: '+15555550123',
    chatbot_name: 'Acme Plumbing Bot',
    intent: 'request_quote',
    ...fields,
    eventType: 'lead.captured',
    eventTimestamp: '2026-05-03T14:22:08Z',
    eventId: 'msg_x',
    customerId: 'cus_a1b2c3',
  };
  return {
    eventId: 'msg_x',
    eventType: 'lead.captured',
    timestamp: Math.floor(Date.now() / 1000),
    body: Buffer.from(JSON.stringify(payload)),
    contentType: 'application/json',
    payload,
    signingSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    ...extra,
  };
}

/** The HubSpot preset against the fake, for the shared connector contract suite. */
export const crmHarness: ContractHarness = {
  connector: crmRelayConnector,
  async startVendor(): Promise<FakeVendor> {
    const fake = await startCrmFake();
    return {
      config: { preset: 'hubspot', token: fake.hubspotToken, base_url: fake.url },
      setMode: fake.setMode,
      written: () => fake.contacts.size,
      close: fake.close,
    };
  },
  message: () => leadMessage(),
};

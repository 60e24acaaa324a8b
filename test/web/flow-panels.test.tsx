// @vitest-environment happy-dom
// Each node kind's side panel, driven like a user would: it renders from the node's data, and what
// it hands back parses with the kind's own schema (shared/flow-graph.ts).
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { useState, type ComponentType } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FLOW_NODE_DATA, filterCondition, validateGraph, type FilterDataT, type NodeKind } from '../../shared/flow-graph.ts';
import { PANELS } from '../../web/src/flow/NodePanel.tsx';
import { destinationTargets } from '../../web/src/flow/panel-env.ts';
import { defaultData, toGraph, type CanvasNode } from '../../web/src/flow/graph.ts';
import type { PanelEnv, PanelProps } from '../../web/src/flow/panels/common.tsx';
import type { ConnectionTest, CredentialSummary } from '../../web/src/flow/flow-api.ts';

const sample = { lead_id: 'lead_1', name: 'Jane Smith', email: 'Jane@Example.com', phone: '+15555550123', vip: true, address: { city: 'Lyon' } };
const eventTypes = [
  { name: 'lead.captured', group: 'chat', description: 'A chatbot collected a visitor’s contact details.', sample },
  { name: 'conversation.ended', group: 'chat', description: 'A conversation ended.', sample: { channel: 'web' } },
];
const google: CredentialSummary = { id: 'cred_1', kind: 'google-service-account', name: 'Ops', hint: 'wirehub@ops.iam.gserviceaccount.com' };

function makeEnv(over: Partial<PanelEnv> = {}): PanelEnv {
  return {
    eventTypes,
    destinations: [{ id: 'des_1', name: 'Ops CRM', type: 'crm-relay', disabled_at: null, warning: null }],
    credentials: [],
    sample,
    sampleFrom: 'the sample of “Lead captured”',
    targets: null,
    targetsFor: null,
    preview: async () => undefined,
    testConnection: async () => ({ ok: true, message: 'Reached it.', warnings: [] }),
    ...over,
  };
}

/** Renders a kind's panel holding its data in state like the editor; `data()` is what it last emitted. */
function mount(kind: NodeKind, initial: Record<string, unknown> = defaultData(kind), env: PanelEnv = makeEnv()) {
  const Panel = PANELS[kind] as ComponentType<PanelProps>;
  let latest = initial;
  function Holder() {
    const [data, setData] = useState(initial);
    return (
      <Panel
        id="n1"
        data={data}
        env={env}
        onChange={(next) => {
          latest = next;
          setData(next);
        }}
      />
    );
  }
  render(<Holder />);
  return {
    data: () => latest,
    valid: () => FLOW_NODE_DATA[kind].parse(latest) as Record<string, unknown>,
  };
}

const node = (id: string, kind: NodeKind, data: Record<string, unknown>): CanvasNode => ({ id, type: kind, position: { x: 0, y: 0 }, data });
const change = (testid: string, value: string) => fireEvent.change(screen.getByTestId(testid), { target: { value } });

afterEach(cleanup);

describe('node panels', () => {
  it('trigger: picks an event type by its friendly name and shows its sample', () => {
    const p = mount('trigger');
    const select = screen.getByTestId('trigger-event') as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual([
      'Choose an event…',
      'Lead captured (lead.captured)',
      'Conversation ended (conversation.ended)',
    ]);
    expect(screen.getByTestId('error-trigger-event').textContent).toBe('choose an event type');
    change('trigger-event', 'lead.captured');
    expect(p.valid()).toEqual({ eventType: 'lead.captured' });
    expect(screen.queryByTestId('error-trigger-event')).toBeNull();
    expect(screen.getByTestId('trigger-sample').textContent).toContain('Jane Smith');
  });

  it("filter: builds conditions from the sample's fields, with AND/OR, and they make the expected rule", () => {
    const p = mount('filter');
    // The field picker offers the sample's fields as the map step names them (data.<field>), nested ones as dot paths.
    const list = document.getElementById('fields-n1') as HTMLDataListElement;
    expect([...list.querySelectorAll('option')].map((o) => o.value)).toEqual([
      'data.lead_id',
      'data.name',
      'data.email',
      'data.phone',
      'data.vip',
      'data.address.city',
    ]);
    expect((screen.getByTestId('condition-0-field') as HTMLInputElement).placeholder).toBe('e.g. data.lead_id');
    change('condition-0-field', 'data.email');
    change('condition-0-op', 'exists');
    expect(screen.queryByTestId('condition-0-value')).toBeNull();
    fireEvent.click(screen.getByTestId('filter-add-condition'));
    change('condition-1-field', 'data.vip');
    change('condition-1-value', 'true');
    fireEvent.click(screen.getByTestId('filter-add-condition'));
    // A bare name, as saved before, is the same field: not flagged.
    change('condition-2-field', 'address.city');
    change('condition-2-op', 'contains');
    change('condition-2-value', 'lyo');
    change('filter-mode', 'any');
    expect(screen.getByTestId('condition-1').textContent).toContain('or');
    for (const i of [0, 1, 2]) expect(screen.queryByTestId(`condition-${i}-unknown`)).toBeNull();
    const data = p.valid() as FilterDataT;
    expect(data).toEqual({
      mode: 'any',
      conditions: [
        { field: 'data.email', op: 'exists' },
        // The sample holds a boolean there: the condition compares with true, not "true".
        { field: 'data.vip', op: 'eq', value: true },
        { field: 'address.city', op: 'contains', value: 'lyo' },
      ],
    });
    expect(filterCondition([data])).toEqual({
      data: { $or: [{ email: { $exists: true } }, { vip: { $eq: true } }, { 'address.city': { $regex: 'lyo', $options: 'i' } }] },
    });
    fireEvent.click(screen.getByTestId('condition-1-remove'));
    expect((p.data().conditions as unknown[]).length).toBe(2);
  });

  it('filter: says when no trigger leads to it and a field is not in the sample', () => {
    mount('filter', { conditions: [{ field: 'emial', op: 'eq', value: 'x' }], mode: 'all' }, makeEnv({ sampleFrom: null, sample: {} }));
    expect(screen.getByText(/Connect a trigger/)).toBeTruthy();
    cleanup();
    mount('filter', { conditions: [{ field: 'emial', op: 'eq', value: 'x' }], mode: 'all' });
    expect(screen.getByTestId('condition-0').textContent).toContain('The sample has no field “emial”');
  });

  it('transform: previews the expression on the sample as the user types (debounced), and offers a start', async () => {
    const preview = vi.fn(async (data: Record<string, unknown>) => ({
      status: 'passed' as const,
      output: { fullName: `made by ${String(data.expression).length} chars` },
    }));
    const p = mount('transform', defaultData('transform'), makeEnv({ preview }));
    fireEvent.click(screen.getByTestId('transform-starter'));
    expect(String(p.data().expression)).toContain('"email": email');
    change('transform-expression', '{ "fullName": name }');
    change('transform-expression', '{ "fullName": $uppercase(name) }');
    await waitFor(() => expect(screen.getByTestId('transform-preview').textContent).toContain('fullName'), { timeout: 3000 });
    // Keystrokes within the delay make one request, with the latest expression.
    expect(preview).toHaveBeenCalledTimes(1);
    expect(preview).toHaveBeenCalledWith({ expression: '{ "fullName": $uppercase(name) }' });
    expect(p.valid()).toEqual({ expression: '{ "fullName": $uppercase(name) }' });
  });

  it("transform: shows the server's error for an expression that fails on the sample", async () => {
    const preview = async () => ({ status: 'error' as const, message: 'The expression failed: unknown function $nope' });
    mount('transform', { expression: '$nope(name)' }, makeEnv({ preview }));
    await waitFor(() => expect(screen.getByTestId('transform-preview-error').textContent).toContain('$nope'), { timeout: 3000 });
  });

  it("map: lists the sheet's columns, marks the empty required ones, fills same-named ones, and the graph then has no problem", () => {
    const sheet = node('sheets_1', 'sheets', { spreadsheetId: '1AbCdEfGhIjKlMnOp', sheetName: 'Leads', columns: ['name', 'email', 'phone', 'eventId'] });
    const targets = destinationTargets(sheet, 'flat');
    const p = mount('map', defaultData('map'), makeEnv({ targets, targetsFor: 'The sheet' }));
    for (const c of ['name', 'email', 'phone', 'eventId']) expect(screen.getByTestId(`target-${c}`)).toBeTruthy();
    expect(screen.getByTestId('map-missing').textContent).toBe('Still empty: name, email, phone');
    expect(screen.getByTestId('target-email').className).toContain('missing');
    expect(screen.getByTestId('target-eventId').className).not.toContain('missing');

    // A sample field pressed goes to the column of the same name.
    fireEvent.click(within(screen.getByLabelText('Sample fields')).getByRole('button', { name: 'email' }));
    expect(p.data().mappings).toEqual([{ to: 'email', from: 'data.email' }]);
    expect(screen.getByTestId('map-missing').textContent).toBe('Still empty: name, phone');
    // A constant typed into a column.
    fireEvent.change(within(screen.getByTestId('target-phone')).getByLabelText('Kind'), { target: { value: 'value' } });
    fireEvent.change(within(screen.getByTestId('target-phone')).getByLabelText('Source'), { target: { value: 'unknown' } });
    // The rest by name.
    expect(screen.getByTestId('map-auto').textContent).toContain('name');
    fireEvent.click(screen.getByTestId('map-auto'));
    expect(screen.queryByTestId('map-missing')).toBeNull();
    const data = p.valid();
    expect(data.mappings).toEqual([
      { to: 'email', from: 'data.email' },
      { to: 'phone', value: 'unknown' },
      { to: 'name', from: 'data.name' },
    ]);

    const graph = toGraph(
      [
        { id: 'trigger_1', type: 'trigger', position: { x: 0, y: 0 }, data: { eventType: 'lead.captured' } },
        { id: 'map_1', type: 'map', position: { x: 0, y: 0 }, data: p.data() },
        sheet,
      ],
      [
        { id: 'a', source: 'trigger_1', target: 'map_1' },
        { id: 'b', source: 'map_1', target: 'sheets_1' },
      ],
    );
    expect(validateGraph(graph)).toEqual([]);
  });

  it("map: with HubSpot downstream, email is required; without a destination's fields the user names them", () => {
    const hubspot = node('c', 'crm', { preset: 'hubspot' });
    mount('map', defaultData('map'), makeEnv({ targets: destinationTargets(hubspot, 'flat'), targetsFor: 'The CRM' }));
    expect(screen.getByTestId('map-missing').textContent).toBe('Still empty: email');
    expect(screen.getByTestId('target-firstname')).toBeTruthy();
    cleanup();
    const p = mount('map');
    expect(screen.queryByTestId('map-missing')).toBeNull();
    fireEvent.click(within(screen.getByLabelText('Sample fields')).getByRole('button', { name: 'address.city' }));
    expect(p.valid()).toEqual({ mappings: [{ to: 'city', from: 'data.address.city' }], envelope: 'flat' });
    change('map-envelope', 'nested');
    expect(p.valid().envelope).toBe('nested');
  });

  it("delay: a number and a unit make milliseconds within the rule's bounds", () => {
    const p = mount('delay');
    expect((screen.getByTestId('delay-amount') as HTMLInputElement).value).toBe('1');
    expect((screen.getByTestId('delay-unit') as HTMLSelectElement).value).toBe('minutes');
    change('delay-amount', '5');
    expect(p.valid()).toEqual({ delay_ms: 300_000 });
    change('delay-unit', 'hours');
    expect(p.valid()).toEqual({ delay_ms: 18_000_000 });
    change('delay-amount', '25');
    expect(screen.getByTestId('error-delay').textContent).toBe('at most 24 hours');
  });

  it('dedupe: window and unit, then fields from the sample to compare, or to ignore', () => {
    const p = mount('dedupe');
    change('dedupe-amount', '2');
    expect(p.valid()).toEqual({ window_ms: 120_000 });
    fireEvent.click(screen.getByTestId('dedupe-mode-include'));
    // The sample's fields as the filter and the map step name them.
    expect(
      within(screen.getByTestId('dedupe-fields'))
        .getAllByRole('checkbox')
        .map((c) => c.getAttribute('data-testid')),
    ).toEqual(['lead_id', 'name', 'email', 'phone', 'vip', 'address.city'].map((f) => `dedupe-field-data.${f}`));
    fireEvent.click(screen.getByTestId('dedupe-field-data.email'));
    fireEvent.click(screen.getByTestId('dedupe-field-data.address.city'));
    expect(p.valid()).toEqual({ window_ms: 120_000, include_fields: ['data.email', 'data.address.city'] });
    fireEvent.click(screen.getByTestId('dedupe-mode-exclude'));
    expect(p.valid()).toEqual({ window_ms: 120_000, exclude_fields: ['data.email', 'data.address.city'] });
    fireEvent.click(screen.getByTestId('dedupe-field-data.email'));
    expect(screen.queryByTestId('dedupe-unknown-data.utm.source')).toBeNull();
    change('dedupe-field-input', 'data.utm.source');
    fireEvent.click(screen.getByTestId('dedupe-add-field'));
    expect(p.valid()).toEqual({ window_ms: 120_000, exclude_fields: ['data.address.city', 'data.utm.source'] });
    // A field the sample does not have is flagged before saving, as in the filter.
    expect(screen.getByTestId('dedupe-unknown-data.utm.source').textContent).toBe('The sample has no field “data.utm.source”.');
    fireEvent.click(screen.getByTestId('dedupe-mode-all'));
    expect(p.valid()).toEqual({ window_ms: 120_000 });
    change('dedupe-unit', 'seconds');
    change('dedupe-amount', '0.5');
    expect(screen.getByTestId('error-dedupe').textContent).toBe('at least 1 second');
  });

  it('dedupe: a field saved under its bare name is the same chip; after an incoming webhook the fields are body.<field>', () => {
    const saved = mount('dedupe', { window_ms: 60_000, include_fields: ['email', 'emial'] });
    const chips = () => within(screen.getByTestId('dedupe-fields')).getAllByRole('checkbox') as HTMLInputElement[];
    expect(
      chips()
        .filter((c) => c.checked)
        .map((c) => c.getAttribute('data-testid')),
    ).toEqual(['dedupe-field-data.email', 'dedupe-field-emial']);
    expect(screen.queryByTestId('dedupe-unknown-email')).toBeNull();
    expect(screen.getByTestId('dedupe-unknown-emial').textContent).toBe('The sample has no field “emial”: events without it all count as equal on it.');
    expect((screen.getByTestId('dedupe-add-field') as HTMLButtonElement).disabled).toBe(true);
    change('dedupe-field-input', 'data.email');
    expect((screen.getByTestId('dedupe-add-field') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByTestId('dedupe-field-data.email'));
    expect(saved.valid()).toEqual({ window_ms: 60_000, include_fields: ['emial'] });
    cleanup();

    const request = makeEnv({ samplePrefix: 'body', sample: { email: 'ann@example.com', plan: 'pro' }, sampleFrom: 'the last request to “form”' });
    const p = mount('dedupe', { window_ms: 60_000, include_fields: ['body.emial'] }, request);
    expect(chips().map((c) => c.getAttribute('data-testid'))).toEqual(['dedupe-field-body.email', 'dedupe-field-body.plan', 'dedupe-field-body.emial']);
    expect(screen.getByTestId('dedupe-unknown-body.emial').textContent).toBe(
      'The sample has no field “body.emial”: requests without it all count as equal on it.',
    );
    fireEvent.click(screen.getByTestId('dedupe-field-body.emial'));
    fireEvent.click(screen.getByTestId('dedupe-field-body.email'));
    expect(p.valid()).toEqual({ window_ms: 60_000, include_fields: ['body.email'] });
    expect(screen.queryByTestId('dedupe-unknown-body.emial')).toBeNull();
  });

  it("webhook: the URL with the schema's message until it is one; the Authorization header only when typed", () => {
    const p = mount('webhook');
    change('webhook-url', 'hooks.example.com');
    expect(screen.getByTestId('error-webhook-url').textContent).toBe('use an http(s) URL');
    change('webhook-url', 'https://hooks.example.com/in');
    expect(screen.queryByTestId('error-webhook-url')).toBeNull();
    change('webhook-authorization', 'Token abc');
    expect(p.valid()).toEqual({ url: 'https://hooks.example.com/in', signing: 'hmac', authorization: 'Token abc' });
    change('webhook-authorization', '');
    expect('authorization' in p.data()).toBe(false);
  });

  it("webhook: a signature preset or a header of one's own, with the signing mode kept in step and the schema's messages", () => {
    const p = mount('webhook', { url: 'https://hooks.example.com/in', signing: 'hmac' });
    const preset = () => screen.getByLabelText(/Signature preset/) as HTMLSelectElement;
    const pick = (el: HTMLElement, value: string) => fireEvent.change(el, { target: { value } });
    // Nothing chosen yet: the default, and nothing written into the node.
    expect(preset().value).toBe('standard-webhooks');
    expect(p.data()).not.toHaveProperty('signature');
    pick(preset(), 'fusionchatalyst');
    expect(screen.getByTestId('signature-says').textContent).toContain('X-FC-Signature');
    // The secret itself in a header: the coarse mode says so too, or the server would drop the preset.
    expect(p.valid()).toEqual({ url: 'https://hooks.example.com/in', signing: 'shared-secret', signature: { preset: 'fusionchatalyst' } });
    pick(preset(), 'github');
    expect(p.valid()).toMatchObject({ signing: 'hmac', signature: { preset: 'github' } });
    pick(preset(), 'own');
    // An empty header name is the schema's problem, shown under the field.
    expect(screen.getByTestId('error-signature-header').textContent).toBe('give a header name');
    pick(screen.getByLabelText(/^Signature header name/), 'X-Acme-Signature');
    pick(screen.getByLabelText(/^Signature format/), 'base64');
    pick(screen.getByLabelText(/Event type header/), 'X-Acme-Event');
    expect(screen.queryByTestId('error-signature-header')).toBeNull();
    expect(p.valid()).toEqual({
      url: 'https://hooks.example.com/in',
      signing: 'hmac',
      signature: { header: 'X-Acme-Signature', format: 'base64', event_header: 'X-Acme-Event' },
    });
    pick(screen.getByLabelText(/^Signature header name/), 'Content-Type');
    expect(screen.getByTestId('error-signature-header').textContent).toMatch(/sets itself/);
    pick(screen.getByLabelText(/^Signature header name/), 'X-Acme-Signature');
    pick(screen.getByLabelText(/^Signature format/), 'secret');
    expect(p.valid()).toMatchObject({ signing: 'shared-secret', signature: { format: 'secret' } });
    // A preset tried and left: the header typed comes back, the event header stays.
    pick(preset(), 'flowmaticx');
    expect(p.valid()).toMatchObject({ signing: 'hmac', signature: { preset: 'flowmaticx', event_header: 'X-Acme-Event' } });
    pick(preset(), 'own');
    expect(p.valid().signature).toEqual({ header: 'X-Acme-Signature', format: 'secret', event_header: 'X-Acme-Event' });
    cleanup();

    // A step saved before presets, in shared-secret mode, shows the header that mode sends.
    mount('webhook', { url: 'https://hooks.example.com/in', signing: 'shared-secret' });
    expect(preset().value).toBe('own');
    expect((screen.getByLabelText(/^Signature header name/) as HTMLInputElement).value).toBe('X-Wirehub-Signature');
    expect((screen.getByLabelText(/^Signature format/) as HTMLSelectElement).value).toBe('secret');
  });

  it('Google Sheet: sheet, tab and typed columns; a note to Settings without a Google credential; Test connection', async () => {
    let tested: Record<string, unknown> | null = null;
    const testConnection = async (data: Record<string, unknown>): Promise<ConnectionTest> => (
      (tested = data), { ok: false, message: 'Share the sheet with wirehub@ops.iam.gserviceaccount.com.', warnings: ['Row 1 is empty'] }
    );
    const p = mount('sheets', defaultData('sheets'), makeEnv({ testConnection }));
    expect(screen.getByTestId('sheets-credential-missing').querySelector('a')?.getAttribute('href')).toBe('/settings');
    change('sheets-spreadsheet', 'https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQr/edit#gid=0');
    change('sheets-tab', 'Leads');
    change('sheets-column-input', 'name, email');
    fireEvent.keyDown(screen.getByTestId('sheets-column-input'), { key: 'Enter' });
    change('sheets-column-input', 'phone');
    fireEvent.click(screen.getByTestId('sheets-add-column'));
    expect(screen.getByTestId('sheets-columns').textContent).toContain('phone');
    expect(p.valid()).toEqual({
      spreadsheetId: 'https://docs.google.com/spreadsheets/d/1AbCdEfGhIjKlMnOpQr/edit#gid=0',
      sheetName: 'Leads',
      columns: ['name', 'email', 'phone'],
    });
    fireEvent.click(screen.getByRole('button', { name: 'Move email left' }));
    fireEvent.click(screen.getByTestId('sheets-column-remove-phone'));
    expect(p.data().columns).toEqual(['email', 'name']);
    await act(async () => fireEvent.click(screen.getByTestId('test-connection')));
    expect(screen.getByTestId('test-connection-result').textContent).toContain('✗ Share the sheet with');
    expect(screen.getByTestId('test-connection-result').textContent).toContain('Row 1 is empty');
    expect(tested).toMatchObject({ sheetName: 'Leads', columns: ['email', 'name'] });
  });

  it('Google Sheet: with a stored Google credential, says which address to share the sheet with', () => {
    const p = mount(
      'sheets',
      defaultData('sheets'),
      makeEnv({ credentials: [google, { id: 'cred_2', kind: 'google-service-account', name: 'Sales', hint: 'sales@x.iam.gserviceaccount.com' }] }),
    );
    expect(screen.queryByTestId('sheets-credential-missing')).toBeNull();
    expect(screen.getByTestId('sheets-credential-email').textContent).toBe(google.hint);
    change('sheets-credential', 'cred_2');
    expect(p.data().credentialId).toBe('cred_2');
    expect(screen.getByTestId('sheets-credential-email').textContent).toBe('sales@x.iam.gserviceaccount.com');
    change('sheets-credential', '');
    expect('credentialId' in p.data()).toBe(false);
  });

  it('CRM: a preset, the URL for a generic CRM, and the credential note', () => {
    const p = mount('crm');
    expect(p.valid()).toEqual({ preset: 'hubspot' });
    expect(screen.getByTestId('crm-credential-missing').textContent).toContain('HubSpot token');
    change('crm-preset', 'generic');
    expect(screen.queryByTestId('crm-credential-missing')).toBeNull();
    change('crm-url', 'crm.example.com');
    expect(screen.getByTestId('error-crm-url').textContent).toBe('enter the CRM endpoint URL');
    change('crm-url', 'https://crm.example.com/contacts');
    expect(p.valid()).toEqual({ preset: 'generic', url: 'https://crm.example.com/contacts' });
    change('crm-preset', 'pipedrive');
    expect(p.valid()).toEqual({ preset: 'pipedrive' });
    expect(screen.getByTestId('crm-credential-missing').textContent).toContain('Pipedrive');
  });

  it('Zapier: the catch hook URL', () => {
    const p = mount('zapier');
    change('zapier-url', 'https://hooks.zapier.com/hooks/catch/1/abc/');
    expect(p.valid()).toEqual({ url: 'https://hooks.zapier.com/hooks/catch/1/abc/' });
  });

  it("Slack (drawn from its manifest's form): the webhook URL, never shown once saved, and an optional title", async () => {
    let tested: Record<string, unknown> | null = null;
    const testConnection = async (data: Record<string, unknown>): Promise<ConnectionTest> => (
      (tested = data), { ok: true, message: 'Slack knows this webhook.', warnings: [] }
    );
    const p = mount('slack', defaultData('slack'), makeEnv({ testConnection }));
    expect((screen.getByTestId('test-connection') as HTMLButtonElement).disabled).toBe(true);
    change('slack-url', 'hooks.slack.com/services/T1/B1/x');
    expect(screen.getByTestId('error-slack-url').textContent).toBe('use an http(s) URL');
    change('slack-url', 'https://hooks.slack.com/services/T1/B1/abc');
    change('slack-title', 'New lead');
    expect(p.valid()).toEqual({ url: 'https://hooks.slack.com/services/T1/B1/abc', title: 'New lead' });
    await act(async () => fireEvent.click(screen.getByTestId('test-connection')));
    expect(screen.getByTestId('test-connection-result').textContent).toBe('✓ Slack knows this webhook.');
    expect(tested).toMatchObject({ url: 'https://hooks.slack.com/services/T1/B1/abc' });
    change('slack-title', '');
    expect('title' in p.data()).toBe(false);
    cleanup();

    // Saved: the URL stays with the destination; the node shows its masked form, and an empty input keeps it.
    const saved = mount('slack', { urlHint: 'https://hooks.slack.com/services/T1/B1/••••', title: 'New lead', connectionId: 'web_1', destinationId: 'des_9' });
    expect((screen.getByTestId('slack-url') as HTMLInputElement).value).toBe('');
    expect(screen.getByText('(now https://hooks.slack.com/services/T1/B1/••••; leave empty to keep)')).toBeTruthy();
    expect((screen.getByTestId('test-connection') as HTMLButtonElement).disabled).toBe(false);
    expect(saved.valid()).toMatchObject({ title: 'New lead', destinationId: 'des_9' });
  });

  it('existing destination: choose it, see its name and type, test it', async () => {
    const testConnection = vi.fn(async () => ({ ok: true, message: 'The CRM answered.', warnings: [] }));
    const p = mount('destination', defaultData('destination'), makeEnv({ testConnection }));
    expect((screen.getByTestId('test-connection') as HTMLButtonElement).disabled).toBe(true);
    change('destination-select', 'des_1');
    expect(p.valid()).toEqual({ destinationId: 'des_1' });
    expect(screen.getByTestId('destination-info').textContent).toContain('Ops CRM is a crm-relay destination');
    await act(async () => fireEvent.click(screen.getByTestId('test-connection')));
    expect(testConnection).toHaveBeenCalledWith({ destinationId: 'des_1' });
    expect(screen.getByTestId('test-connection-result').textContent).toBe('✓ The CRM answered.');
  });

  it('existing destination: one paused by Wirehub says why and when it is tried again', () => {
    const probe = new Date(Date.now() + 10 * 60_000);
    const hhmm = `${String(probe.getHours()).padStart(2, '0')}:${String(probe.getMinutes()).padStart(2, '0')}`;
    const circuit = {
      state: 'open' as const,
      failures: 12,
      reason: '12 timeouts in a row',
      opened_at: new Date().toISOString(),
      next_probe_at: probe.toISOString(),
      message: '',
    };
    mount(
      'destination',
      { destinationId: 'des_1' },
      makeEnv({ destinations: [{ id: 'des_1', name: 'Ops CRM', type: 'crm-relay', disabled_at: null, warning: null, circuit }] }),
    );
    const info = screen.getByTestId('destination-info').textContent ?? '';
    expect(info).toContain('Paused by Wirehub: 12 timeouts in a row');
    expect(info).toContain(hhmm);
    expect(info).not.toContain('disabled');
  });
});

import type { FlowGraphT, MapDataT } from './flow-graph.ts';

/**
 * Ready-made flows that "New flow" offers: the graph comes pre-built (nodes placed and connected,
 * sensible defaults) and what only the user knows is left empty and listed as a placeholder, so the
 * editor can say what is still to fill in. Shared with the portal (no server imports: Vite bundles
 * this file); test/flow-templates.test.ts checks that each graph, once filled, passes validateGraph.
 */
export type TemplatePlaceholder = {
  nodeId: string;
  /** The key in the node's data the user must set. */
  field: string;
  /** What to put there, in the user's words. */
  label: string;
  /** A value of the right shape, for tests and hints. */
  example: string;
};

export type FlowTemplate = {
  id: string;
  name: string;
  description: string;
  /** The name the new flow starts with. */
  flowName: string;
  /** An incoming-webhook trigger needs a source: the portal makes one when the template is chosen. */
  needsSource?: { nodeId: string; name: string };
  placeholders: TemplatePlaceholder[];
  /** Something to do outside the graph before it can deliver (a credential in Settings). */
  setup?: string;
  graph: FlowGraphT;
};

const at = (col: number, row = 0) => ({ x: 40 + col * 320, y: 60 + row * 140 });
const edge = (source: string, target: string) => ({ id: `e_${source}_${target}`, source, target });
/** Every template reshapes its trigger's event in one map step, second in line, into a flat envelope. */
const mapStep = (mappings: MapDataT['mappings']) => ({ id: 'map', kind: 'map' as const, position: at(1), data: { envelope: 'flat' as const, mappings } });

/** A Slack incoming webhook (and Teams, Discord's /slack, Mattermost) posts the `text` field. */
const SLACK_EXAMPLE = 'https://hooks.slack.com/services/T000/B000/XXXXXXXX';

/**
 * The alert's one line, for either event: hub.delivery.failed ("Wirehub could not deliver an event
 * of the flow “New leads” (https://crm.example.com/hooks/leads): the receiver answered 500 Internal
 * Server Error, after 9 attempts. 3 events failed like this in the last minute. See …"; a webhook
 * made by hand is named instead of a flow) or hub.webhook.disabled.
 */
const ALERT_TEXT = [
  'eventType = "hub.delivery.failed"',
  '  ? "Wirehub could not deliver an event " & (data.flow_name ? "of the flow “" & data.flow_name & "”" : "to " & data.name)',
  '    & (data.url ? " (" & data.url & ")" : "") & ": " & data.reason & ", after " & data.attempts & (data.attempts = 1 ? " attempt." : " attempts.")',
  '    & (data.failed_count > 1 ? " " & data.failed_count & " events failed like this in the last minute." : "")',
  '    & " See " & data.link',
  '  : "Wirehub stopped delivering to " & data.name & ": " & data.reason & ". Its events wait until you turn it back on."',
].join('\n');

export const FLOW_TEMPLATES: readonly FlowTemplate[] = [
  {
    id: 'lead-to-sheet',
    name: 'Lead → Google Sheet',
    description: 'Adds a row (name, e-mail, phone, date) to a Google Sheet for every lead your chatbot captures.',
    flowName: 'Leads to Google Sheet',
    setup: 'In the Google Sheet step, Sign in with Google and pick the sheet; or use the service account of Settings and share the sheet with its address.',
    placeholders: [
      {
        nodeId: 'sheet',
        field: 'spreadsheetId',
        label: 'The Google Sheet (pick it after signing in with Google, or paste its URL)',
        example: '1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
      },
    ],
    graph: {
      nodes: [
        { id: 'trigger', kind: 'trigger', position: at(0), data: { eventType: 'lead.captured' } },
        mapStep([
          { to: 'Name', from: 'data.name' },
          { to: 'Email', from: 'data.email' },
          { to: 'Phone', from: 'data.phone' },
          { to: 'Captured at', from: 'data.captured_at' },
        ]),
        { id: 'sheet', kind: 'sheets', position: at(2), data: { spreadsheetId: '', sheetName: 'Sheet1', columns: ['Name', 'Email', 'Phone', 'Captured at'] } },
      ],
      edges: [edge('trigger', 'map'), edge('map', 'sheet')],
    },
  },
  {
    id: 'lead-to-crm',
    name: 'Lead → CRM',
    description: 'Creates or updates a HubSpot contact for every lead (Pipedrive or your own CRM endpoint: change it in the CRM step).',
    flowName: 'Leads to CRM',
    setup: 'Connect HubSpot (or Pipedrive) once in Settings → Credentials; the CRM step uses that connection.',
    placeholders: [],
    graph: {
      nodes: [
        { id: 'trigger', kind: 'trigger', position: at(0), data: { eventType: 'lead.captured' } },
        mapStep([
          { to: 'email', from: 'data.email' },
          { to: 'name', from: 'data.name' },
          { to: 'phone', from: 'data.phone' },
          { to: 'lifecyclestage', value: 'lead' },
        ]),
        { id: 'crm', kind: 'crm', position: at(2), data: { preset: 'hubspot' } },
      ],
      edges: [edge('trigger', 'map'), edge('map', 'crm')],
    },
  },
  {
    id: 'webhook-to-slack',
    name: 'Incoming webhook → Slack-style webhook',
    description: 'Gives you a URL to send requests to, and posts a message about each one to Slack (or Teams, Mattermost, Discord’s Slack URL).',
    flowName: 'Incoming webhook to Slack',
    needsSource: { nodeId: 'trigger', name: 'Incoming webhook' },
    placeholders: [{ nodeId: 'slack', field: 'url', label: 'Your Slack incoming-webhook URL', example: SLACK_EXAMPLE }],
    graph: {
      nodes: [
        { id: 'trigger', kind: 'trigger', position: at(0), data: { sourceId: '' } },
        mapStep([{ to: 'text', expression: '"New request received: " & $string(body)' }]),
        { id: 'slack', kind: 'webhook', position: at(2), data: { url: '', signing: 'hmac' } },
      ],
      edges: [edge('trigger', 'map'), edge('map', 'slack')],
    },
  },
  {
    id: 'failed-deliveries-alert',
    name: 'Failed deliveries → alert',
    description:
      'When an event fails for good (its retries spent), or Wirehub turns a webhook off after repeated failures, posts an alert to a Slack-style webhook (or any URL that forwards it by e-mail). At most one alert a minute per destination, saying how many failed.',
    flowName: 'Alert on failed deliveries',
    placeholders: [
      {
        nodeId: 'alert',
        field: 'url',
        label: 'Where to send the alert: a Slack incoming-webhook URL, or your e-mail service’s webhook',
        example: SLACK_EXAMPLE,
      },
    ],
    graph: {
      nodes: [
        // Two triggers into one map step: both kinds of alert take the same path to the same webhook.
        { id: 'trigger', kind: 'trigger', position: at(0), data: { eventType: 'hub.delivery.failed' } },
        { id: 'disabled', kind: 'trigger', position: at(0, 1), data: { eventType: 'hub.webhook.disabled' } },
        mapStep([
          { to: 'text', expression: ALERT_TEXT },
          { to: 'destination_id', from: 'data.destination_id' },
          { to: 'event_id', from: 'data.event_id' },
          { to: 'link', from: 'data.link' },
        ]),
        { id: 'alert', kind: 'webhook', position: at(2), data: { url: '', signing: 'hmac' } },
      ],
      edges: [edge('trigger', 'map'), edge('disabled', 'map'), edge('map', 'alert')],
    },
  },
];

export function flowTemplate(id: string): FlowTemplate | undefined {
  return FLOW_TEMPLATES.find((t) => t.id === id);
}

/** A template's graph with the placeholders set (and the source filled in), as a fresh copy. */
export function fillTemplate(t: FlowTemplate, values: Record<string, string>, sourceId?: string): FlowGraphT {
  const graph = structuredClone(t.graph) as FlowGraphT;
  for (const n of graph.nodes) {
    const data = n.data as Record<string, unknown>;
    if (t.needsSource?.nodeId === n.id && sourceId) data.sourceId = sourceId;
    for (const p of t.placeholders) if (p.nodeId === n.id && values[`${p.nodeId}.${p.field}`] !== undefined) data[p.field] = values[`${p.nodeId}.${p.field}`];
  }
  return graph;
}

/** The placeholders still empty in a graph the editor holds (a node removed counts as done). */
export function unfilledPlaceholders(t: FlowTemplate, nodes: { id: string; data: Record<string, unknown> }[]): TemplatePlaceholder[] {
  return t.placeholders.filter((p) => {
    const n = nodes.find((x) => x.id === p.nodeId);
    const v = n?.data[p.field];
    return n !== undefined && (v === undefined || v === '');
  });
}

import type { Edge } from '@xyflow/react';
import { connectorNode } from '../../../shared/connectors.ts';
import { ENVELOPE_FIELDS } from '../../../shared/flow-fields.ts';
import type {
  ConnectionTest,
  CredentialSummary,
  DestinationField,
  DestinationSummary,
  EventType,
  FlowTestOut,
  NodeTestResult,
  SourceSample,
  SourceSummary,
} from './flow-api.ts';
import { downstreamDestinations, humanize, upstreamOf, upstreamTriggers, type CanvasNode } from './graph.ts';
import type { PanelEnv } from './panels/common.tsx';
import { fieldWarnings, type FieldWarning, type SamplePrefix } from './step-fields.ts';

/** The trigger a test of this node starts from: the node itself, or the first trigger upstream. */
export function triggerOf(nodeId: string, nodes: CanvasNode[], edges: Edge[]): string | undefined {
  const self = nodes.find((n) => n.id === nodeId);
  return self?.type === 'trigger' ? self.id : upstreamTriggers(nodeId, nodes, edges)[0]?.id;
}

/**
 * The fields a destination node takes, as its connector's node says (the same the server checks
 * with): a sheet's columns, a CRM preset's contact fields; those the envelope fills need no
 * mapping. Null when it takes anything (webhook, Zapier, a generic CRM, an existing destination).
 */
export function destinationTargets(dest: CanvasNode, envelope: 'flat' | 'nested' | null): DestinationField[] | null {
  const taken = connectorNode(dest.type)?.fields?.(dest.data);
  if (!taken || (taken.free && !taken.fields.length)) return null;
  // null: a source's requests, sent without the envelope, so every field needs its mapping.
  const byEnvelope = new Set(envelope ? ENVELOPE_FIELDS[envelope] : []);
  return taken.fields.map((f) => (byEnvelope.has(f.name) ? { ...f, required: false, description: `${f.description}: every delivery carries it` } : f));
}

type Inputs = {
  node: CanvasNode;
  nodes: CanvasNode[];
  edges: Edge[];
  eventTypes: EventType[];
  destinations: DestinationSummary[];
  credentials: CredentialSummary[] | null;
  /** Inbound sources, and the last request of those loaded so far (null: none yet). */
  sources?: SourceSummary[];
  sourceSamples?: Record<string, SourceSample | null>;
  test: FlowTestOut | null;
  preview: (data: Record<string, unknown>) => Promise<NodeTestResult | undefined>;
  testConnection: (data: Record<string, unknown>) => Promise<ConnectionTest>;
  sourceActions?: PanelEnv['sourceActions'];
};

/**
 * The sample a trigger gives the steps after it, and how they name its fields: an event type's
 * sample data (`data.<field>`), or the body of a source's last request (`body.<field>`).
 */
export function triggerSample(
  trigger: CanvasNode | undefined,
  eventTypes: EventType[],
  sources: SourceSummary[],
  sourceSamples: Record<string, SourceSample | null>,
) {
  const type = eventTypes.find((t) => t.name === trigger?.data.eventType);
  let sample = type?.sample ?? {};
  let sampleFrom = type ? `the sample of “${humanize(type.name)}”` : null;
  const sourceId = typeof trigger?.data.sourceId === 'string' ? trigger.data.sourceId : null;
  const source = sourceId ? (sources.find((s) => s.id === sourceId) ?? null) : null;
  const sourceSample = sourceId ? sourceSamples[sourceId] : undefined;
  if (sourceId) {
    const body = sourceSample?.sample.body;
    sample = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    sampleFrom = sourceSample ? `the last request to “${source?.name ?? sourceId}”` : null;
  }
  return { sample, sampleFrom, sourceId, source, sourceSample, prefix: (sourceId ? 'body' : 'data') as SamplePrefix };
}

/** The fields the filter and dedupe steps name that their trigger's sample lacks (step-fields.ts). */
export function flowFieldWarnings(
  nodes: CanvasNode[],
  edges: Edge[],
  eventTypes: EventType[],
  sources: SourceSummary[],
  sourceSamples: Record<string, SourceSample | null>,
): FieldWarning[] {
  return fieldWarnings(
    nodes,
    (id) => nodes.find((n) => n.id === triggerOf(id, nodes, edges)),
    (trigger) => {
      const t = triggerSample(trigger, eventTypes, sources, sourceSamples);
      return t.sampleFrom ? { sample: t.sample, prefix: t.prefix } : null;
    },
  );
}

/** What the selected node's panel needs to know about the rest of the flow. */
export function panelEnv({
  node,
  nodes,
  edges,
  eventTypes,
  destinations,
  credentials,
  sources = [],
  sourceSamples = {},
  test,
  preview,
  testConnection,
  sourceActions,
}: Inputs): PanelEnv {
  const triggerId = triggerOf(node.id, nodes, edges);
  const trigger = nodes.find((n) => n.id === triggerId);
  // A source trigger: the steps read its last request's body, and map paths start at `body`.
  const from = triggerSample(trigger, eventTypes, sources, sourceSamples);
  const { sourceId, source, sourceSample } = from;
  let { sample, sampleFrom } = from;
  // A map step reads what the transform before it made: the last test run shows that.
  if (node.type === 'map') {
    const transform = upstreamOf(node.id, 'transform', nodes, edges)[0];
    const made = transform && test?.nodes[transform.id]?.output;
    if (made && typeof made === 'object' && !Array.isArray(made)) {
      sample = made as Record<string, unknown>;
      sampleFrom = 'what the transform made of the sample in the last test';
    }
  }
  let targets: DestinationField[] | null = null;
  let targetsFor: string | null = null;
  if (node.type === 'map') {
    const envelope = node.data.envelope === 'nested' ? 'nested' : 'flat';
    for (const dest of downstreamDestinations(node.id, nodes, edges)) {
      targets = destinationTargets(dest, sourceId ? null : envelope);
      if (targets) {
        targetsFor = connectorNode(dest.type)?.fieldsOwner ?? 'The destination';
        break;
      }
    }
  }
  return {
    eventTypes,
    destinations,
    credentials,
    sample,
    sampleFrom,
    targets,
    targetsFor,
    preview,
    testConnection,
    sources,
    source,
    sourceSample,
    samplePrefix: from.prefix,
    sourceActions,
  };
}

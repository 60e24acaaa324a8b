// Every connector's manifest against the registries that read it: connectors/index.ts (the server)
// and connectors/catalogue.ts (what the portal bundles) list the same nodes, each node names its
// own connector, and what the flow, credentials and palette code ask of a node is there.
import { describe, expect, it } from 'vitest';
import { CONNECTOR_NODES, connectorNode } from '../../connectors/catalogue.ts';
import { connectorFor, MANIFESTS, manifestOf, nodeManifestOf } from '../../connectors/index.ts';
import { DESTINATION_KINDS, FLOW_NODE_DATA } from '../../shared/flow-graph.ts';

describe('connector manifests', () => {
  it('the catalogue the portal imports lists exactly the nodes of the registered manifests', () => {
    const registered = MANIFESTS.flatMap((m) => (m.node ? [m.node.spec] : []));
    expect(new Set(CONNECTOR_NODES)).toEqual(new Set(registered));
    expect(new Set(CONNECTOR_NODES.map((n) => n.kind)).size).toBe(CONNECTOR_NODES.length);
    // The stored kinds are data and API: never renamed.
    expect(CONNECTOR_NODES.map((n) => [n.kind, n.connector])).toEqual([
      ['webhook', 'http-webhook'],
      ['sheets', 'google-sheets'],
      ['crm', 'crm-relay'],
      ['zapier', 'zapier'],
      ['slack', 'slack'],
    ]);
    expect(DESTINATION_KINDS).toEqual(['webhook', 'sheets', 'crm', 'zapier', 'slack', 'destination']);
  });

  it("each node belongs to its registered connector, and its data schema is the flow graph's", () => {
    for (const node of CONNECTOR_NODES) {
      const found = nodeManifestOf(node.kind);
      expect(found?.node.spec, node.kind).toBe(node);
      expect(found?.manifest.connector, node.kind).toBe(connectorFor(node.connector));
      expect(manifestOf(node.connector), node.kind).toBe(found?.manifest);
      expect(FLOW_NODE_DATA[node.kind], node.kind).toBe(node.data);
      expect(connectorNode(node.kind), node.kind).toBe(node);
    }
    expect(connectorNode('constructor')).toBeUndefined();
    expect(nodeManifestOf('__proto__')).toBeUndefined();
    expect(manifestOf('HTTP')?.connector.id).toBe('http-webhook');
  });

  it('says in words what each node is, what saving it makes, and starts it from data its panel can fill', () => {
    for (const node of CONNECTOR_NODES) {
      expect(node.label.length, node.kind).toBeGreaterThan(1);
      expect(node.hint.length, node.kind).toBeGreaterThan(10);
      expect(node.words, node.kind).toMatch(/ step$/);
      expect(node.madeWords.length, node.kind).toBeGreaterThan(3);
      expect(typeof node.summary(node.defaults()), node.kind).toBe('string');
      // Only the user's input is missing from a new node's data, never a field the panel cannot set.
      const parsed = node.data.safeParse(node.defaults());
      if (!parsed.success) for (const issue of parsed.error.issues) expect(issue.code, `${node.kind}: ${issue.path.join('.')}`).not.toBe('unrecognized_keys');
      // Where a config problem shows on the node, it names a key of the node's data.
      const shape = 'shape' in node.data ? Object.keys((node.data as unknown as { shape: object }).shape) : [];
      for (const key of Object.values(node.configFields ?? {})) if (shape.length) expect(shape, `${node.kind} ${key}`).toContain(key);
      for (const key of node.writeOnly ?? []) if (shape.length) expect(shape, `${node.kind} ${key}`).toContain(key);
    }
  });
});

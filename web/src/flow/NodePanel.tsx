import type { ComponentType } from 'react';
import { CONNECTOR_NODES, type ConnectorNodeKind } from '../../../shared/connectors.ts';
import type { NodeKind } from '../../../shared/flow-graph.ts';
import { KIND_LABEL, type CanvasNode } from './graph.ts';
import type { PanelEnv, PanelProps } from './panels/common.tsx';
import { connectorFormPanel } from './panels/ConnectorFormPanel.tsx';
import { CrmPanel } from './panels/CrmPanel.tsx';
import { DedupePanel } from './panels/DedupePanel.tsx';
import { DelayPanel } from './panels/DelayPanel.tsx';
import { DestinationPanel } from './panels/DestinationPanel.tsx';
import { FilterPanel } from './panels/FilterPanel.tsx';
import { MapPanel } from './panels/MapPanel.tsx';
import { SheetsPanel } from './panels/SheetsPanel.tsx';
import { TransformPanel } from './panels/TransformPanel.tsx';
import { TriggerPanel } from './panels/TriggerPanel.tsx';
import { WebhookPanel } from './panels/WebhookPanel.tsx';
import { ZapierPanel } from './panels/ZapierPanel.tsx';

/** Connectors' nodes with a panel of their own; any other is drawn from its manifest's `form`. */
const CONNECTOR_PANELS: Partial<Record<ConnectorNodeKind, ComponentType<PanelProps>>> = {
  webhook: WebhookPanel,
  sheets: SheetsPanel,
  crm: CrmPanel,
  zapier: ZapierPanel,
};

/** The form of each node kind. */
export const PANELS: Record<NodeKind, ComponentType<PanelProps>> = {
  trigger: TriggerPanel,
  filter: FilterPanel,
  transform: TransformPanel,
  map: MapPanel,
  delay: DelayPanel,
  dedupe: DedupePanel,
  ...(Object.fromEntries(CONNECTOR_NODES.map((n) => [n.kind, CONNECTOR_PANELS[n.kind] ?? connectorFormPanel(n.kind)])) as Record<
    ConnectorNodeKind,
    ComponentType<PanelProps>
  >),
  destination: DestinationPanel,
};

type Props = {
  node: CanvasNode;
  env: PanelEnv;
  problems: string[];
  collapsed: boolean;
  onCollapse: (collapsed: boolean) => void;
  onChange: (data: Record<string, unknown>) => void;
  onDelete: () => void;
  onClose: () => void;
};

/** The side panel for the selected node: its problems, its kind's form, delete. Collapses to a strip. */
export function NodePanel({ node, env, problems, collapsed, onCollapse, onChange, onDelete, onClose }: Props) {
  const kind = node.type as NodeKind;
  const Panel = PANELS[kind];
  if (collapsed) {
    return (
      <aside className="flow-panel collapsed" data-testid="node-panel">
        <button
          className="flow-strip"
          onClick={() => onCollapse(false)}
          data-testid="panel-expand"
          aria-label="Open panel"
          title={`Open ${KIND_LABEL[kind]} settings`}
        >
          ‹ {KIND_LABEL[kind]}
        </button>
      </aside>
    );
  }
  return (
    <aside className="flow-panel" data-testid="node-panel">
      <header className="row">
        <h3>
          {KIND_LABEL[kind]} <span className="muted mono">{node.id}</span>
        </h3>
        <span>
          <button onClick={() => onCollapse(true)} aria-label="Collapse panel" data-testid="panel-collapse" title="Collapse to see more of the canvas">
            ›
          </button>
          <button onClick={onClose} aria-label="Close panel" data-testid="panel-close">
            ×
          </button>
        </span>
      </header>
      {problems.length > 0 && (
        <div className="error" role="alert" data-testid="panel-problems">
          <ul>
            {problems.map((p, i) => (
              <li key={i}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="flow-panel-form">
        <Panel id={node.id} data={node.data} onChange={onChange} env={env} />
      </div>
      <button className="danger" onClick={onDelete} data-testid="delete-node">
        Delete node
      </button>
    </aside>
  );
}

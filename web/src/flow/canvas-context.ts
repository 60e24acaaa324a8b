import { createContext, useContext } from 'react';
import type { NodeKind } from '../../../shared/flow-graph.ts';
import type { DestinationSummary, FlowStats, NodeTestResult, SourceSummary } from './flow-api.ts';
import type { PendingNode } from './graph.ts';

/** What the canvas draws on nodes and edges besides their data. */
export type CanvasInfo = {
  /** Problems by node or edge id: the shared validateGraph, the editor's own checks, the server's. */
  problems: Map<string, string[]>;
  /** Nodes that only lack a connection or an empty field, shown softly until a save attempt. */
  pending?: Map<string, PendingNode>;
  /** Fields a step names that its trigger's sample lacks, by node id: a soft warning that never blocks a save. */
  warnings?: Map<string, string[]>;
  /** The "+" on a node's output: adds a node of that kind to its right, connected to it. */
  onAddNext?: (from: string, kind: Exclude<NodeKind, 'trigger'>, preset?: string) => void;
  /** The node a palette item is held over, which takes it as its next step when dropped. */
  dropTarget?: string | null;
  /** The last Test run's result per node, null before one. */
  test: Record<string, NodeTestResult> | null;
  /** The saved flow's last 24 hours, null for an unsaved flow or before the first answer. */
  stats: FlowStats | null;
  destinations: DestinationSummary[];
  /** The workspace's inbound sources, to name source triggers. */
  sources?: SourceSummary[];
};

export const CanvasContext = createContext<CanvasInfo>({ problems: new Map(), test: null, stats: null, destinations: [] });
export const useCanvas = () => useContext(CanvasContext);

import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { useNavigate, useParams } from 'react-router';
import { addEdge, Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, applyEdgeChanges, applyNodeChanges, useReactFlow, type Connection, type Edge, type EdgeChange, type NodeChange } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import './flow.css';
import { api, ApiError } from '../api.ts';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { useLoad } from '../ui/useLoad.ts';
import type { EventType } from '../pages/Webhooks.tsx';
import type { FlowGraphT, NodeKind } from '../../../server/hub/flow-graph.ts';
import { check, defaultData, fromGraph, nextId, problemsByNode, toGraph, upstreamEvents, type CanvasNode } from './graph.ts';
import { useHistory } from './history.ts';
import { nodeTypes, ProblemsContext } from './FlowNodeView.tsx';
import { NodePanel } from './NodePanel.tsx';

export type FlowOut = { id: string; name: string; graph: FlowGraphT; webhooks: { nodeId: string; webhookId: string }[]; secrets?: { nodeId: string; webhookId: string; secret: string }[]; updated_at: string };

const DRAG_TYPE = 'application/wirehub-node';
type Snapshot = { nodes: CanvasNode[]; edges: Edge[] };

/** The flow editor: palette on the left, canvas in the middle, the selected node's form on the right. */
export function FlowEditor() {
  return (
    <ReactFlowProvider>
      <Editor />
    </ReactFlowProvider>
  );
}

function Editor() {
  const { id } = useParams();
  const isNew = !id || id === 'new';
  const navigate = useNavigate();
  const { screenToFlowPosition, fitView } = useReactFlow();
  const types = useLoad(() => api<{ models: EventType[] }>('GET', '/event-types'));
  const [name, setName] = useState('New flow');
  const [nodes, setNodes] = useState<CanvasNode[]>([]);
  const [edges, setEdges] = useState<Edge[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [serverProblems, setServerProblems] = useState<Map<string, string[]>>(new Map());
  const [secrets, setSecrets] = useState<FlowOut['secrets']>([]);
  const [saving, setSaving] = useState(false);
  const [savedAt, setSavedAt] = useState<string | null>(null);
  const history = useHistory<Snapshot>();
  const current = useRef<Snapshot>({ nodes, edges });
  current.current = { nodes, edges };

  useEffect(() => {
    if (isNew) return;
    api<FlowOut>('GET', `/flows/${id}`)
      .then((flow) => {
        const g = fromGraph(flow.graph);
        setName(flow.name);
        setNodes(g.nodes);
        setEdges(g.edges);
        setTimeout(() => void fitView({ maxZoom: 1 }), 0);
      })
      .catch(setLoadError);
  }, [id, isNew, fitView]);

  const record = useCallback(() => history.record(current.current), [history]);
  const restore = (s: Snapshot | null) => {
    if (!s) return;
    setNodes(s.nodes);
    setEdges(s.edges);
  };
  const undo = () => restore(history.undo(current.current));
  const redo = () => restore(history.redo(current.current));

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) return;
      if (!(e.ctrlKey || e.metaKey) || e.key.toLowerCase() !== 'z') return;
      e.preventDefault();
      if (e.shiftKey) redo();
      else undo();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const problems = useMemo(() => check(nodes, edges), [nodes, edges]);
  const byNode = useMemo(() => {
    const merged = problemsByNode(problems);
    for (const [k, v] of serverProblems) merged.set(k, [...(merged.get(k) ?? []), ...v]);
    return merged;
  }, [problems, serverProblems]);

  const onNodesChange = useCallback(
    (changes: NodeChange<CanvasNode>[]) => {
      if (changes.some((c) => c.type === 'remove')) record();
      setNodes((ns) => applyNodeChanges(changes, ns));
      if (changes.some((c) => c.type === 'remove' && c.id === selected)) setSelected(null);
    },
    [record, selected],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      if (changes.some((c) => c.type === 'remove')) record();
      setEdges((es) => applyEdgeChanges(changes, es));
    },
    [record],
  );
  const onConnect = useCallback(
    (c: Connection) => {
      record();
      setEdges((es) => addEdge({ ...c, id: `e_${c.source}_${c.target}` }, es));
    },
    [record],
  );

  const onDragOver = (e: DragEvent) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    const raw = e.dataTransfer.getData(DRAG_TYPE);
    if (!raw) return;
    const { kind, eventType } = JSON.parse(raw) as { kind: NodeKind; eventType?: string };
    const position = screenToFlowPosition({ x: e.clientX, y: e.clientY });
    record();
    const nodeId = nextId(kind, current.current.nodes);
    setNodes((ns) => [...ns, { id: nodeId, type: kind, position, data: defaultData(kind, eventType) }]);
    setSelected(nodeId);
  };
  const paletteItem = (kind: NodeKind, label: string, testid: string, eventType?: string) => (
    <button
      key={testid}
      className="flow-palette-item"
      draggable
      data-testid={testid}
      onDragStart={(e) => {
        e.dataTransfer.setData(DRAG_TYPE, JSON.stringify({ kind, eventType }));
        e.dataTransfer.effectAllowed = 'move';
      }}
      title="Drag onto the canvas"
    >
      {label}
    </button>
  );

  const selectedNode = nodes.find((n) => n.id === selected) ?? null;
  const setData = (data: Record<string, unknown>) => {
    record();
    setNodes((ns) => ns.map((n) => (n.id === selected ? { ...n, data } : n)));
  };

  const save = async () => {
    setSaveError(null);
    setServerProblems(new Map());
    if (problems.length) {
      setSaveError(new Error(`Fix ${problems.length} problem${problems.length > 1 ? 's' : ''} first: ${problems.map((p) => p.message).slice(0, 3).join('; ')}`));
      return;
    }
    setSaving(true);
    try {
      const graph = toGraph(nodes, edges);
      const flow = isNew ? await api<FlowOut>('POST', '/flows', { name, graph }) : await api<FlowOut>('PUT', `/flows/${id}`, { name, graph });
      const g = fromGraph(flow.graph);
      setNodes(g.nodes);
      setEdges(g.edges);
      setSecrets(flow.secrets ?? []);
      setSavedAt(new Date().toLocaleTimeString());
      if (isNew) navigate(`/flows/${flow.id}`, { replace: true });
    } catch (err) {
      setSaveError(err);
      if (err instanceof ApiError) {
        const m = new Map<string, string[]>();
        for (const d of err.details) {
          const nodeId = /^nodes\.([^.]+)/.exec(d.path ?? '')?.[1];
          if (nodeId) m.set(nodeId, [...(m.get(nodeId) ?? []), d.message]);
        }
        setServerProblems(m);
      }
    } finally {
      setSaving(false);
    }
  };

  if (loadError) return <ErrorBox error={loadError} />;
  return (
    <section>
      <div className="flow-toolbar">
        <input aria-label="Flow name" data-testid="flow-name" value={name} onChange={(e) => setName(e.target.value)} />
        <button onClick={undo} disabled={!history.canUndo} data-testid="undo" title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button onClick={redo} disabled={!history.canRedo} data-testid="redo" title="Redo (Ctrl+Shift+Z)">
          Redo
        </button>
        <button onClick={() => void fitView()} data-testid="fit-view">
          Fit view
        </button>
        <button className="primary" onClick={() => void save()} disabled={saving} data-testid="save-flow">
          {saving ? 'Saving…' : 'Save'}
        </button>
        {problems.length > 0 ? <span className="warn" data-testid="problem-count">{problems.length} problem{problems.length > 1 ? 's' : ''}</span> : <span className="good">Ready to save</span>}
        {savedAt && <span className="muted" data-testid="saved-at">Saved at {savedAt}</span>}
      </div>
      <ErrorBox error={saveError} />
      {secrets && secrets.length > 0 && (
        <div className="notice" data-testid="flow-secrets">
          <strong>Signing secrets of the new webhooks.</strong> Copy them now: they will not be shown again.
          <ul>
            {secrets.map((s) => (
              <li key={s.webhookId}>
                {s.nodeId}: <code data-testid={`secret-${s.nodeId}`}>{s.secret}</code>
              </li>
            ))}
          </ul>
          <button onClick={() => setSecrets([])}>Done</button>
        </div>
      )}
      <div className="flow-editor">
        <div className="flow-palette" data-testid="palette">
          <h4>Triggers</h4>
          {(types.data?.models ?? []).map((t) => paletteItem('trigger', t.name, `palette-trigger-${t.name}`, t.name))}
          <h4>Steps</h4>
          {paletteItem('filter', 'Filter', 'palette-filter')}
          {paletteItem('map', 'Map fields', 'palette-map')}
          <h4>Destinations</h4>
          {paletteItem('webhook', 'Webhook', 'palette-webhook')}
        </div>
        <div className="flow-canvas" onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
          <ProblemsContext.Provider value={byNode}>
            <ReactFlow<CanvasNode, Edge>
              nodes={nodes}
              edges={edges}
              nodeTypes={nodeTypes}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              onNodeDragStart={record}
              onNodeClick={(_e, n) => setSelected(n.id)}
              onPaneClick={() => setSelected(null)}
              deleteKeyCode={['Backspace', 'Delete']}
              // Fit a loaded flow once it is measured; a new flow keeps zoom 1, or the first node dropped would be zoomed to 2x and the next drops land on it.
              fitView={!isNew}
              fitViewOptions={{ maxZoom: 1 }}
            >
              <Background />
              <MiniMap pannable zoomable />
              <Controls />
            </ReactFlow>
          </ProblemsContext.Provider>
        </div>
        {selectedNode && (
          <NodePanel
            key={selectedNode.id}
            node={selectedNode}
            eventTypes={types.data?.models ?? []}
            upstream={upstreamEvents(selectedNode.id, nodes, edges)}
            problems={byNode.get(selectedNode.id) ?? []}
            onChange={setData}
            onDelete={() => {
              record();
              setNodes((ns) => ns.filter((n) => n.id !== selectedNode.id));
              setEdges((es) => es.filter((e) => e.source !== selectedNode.id && e.target !== selectedNode.id));
              setSelected(null);
            }}
            onClose={() => setSelected(null)}
          />
        )}
      </div>
    </section>
  );
}

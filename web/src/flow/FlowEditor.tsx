import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { useNavigate, useParams, useSearchParams } from 'react-router';
import {
  addEdge,
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  applyEdgeChanges,
  applyNodeChanges,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type NodeChange,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import './flow.css';
import { api, ApiError } from '../api.ts';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { Toast } from '../ui/Toast.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { isDestinationKind, type NodeKind } from '../../../shared/flow-graph.ts';
import { problemSentence } from '../../../shared/flow-problem-text.ts';
import { fillTemplate, flowTemplate } from '../../../shared/flow-templates.ts';
import { CanvasContext, type CanvasInfo } from './canvas-context.ts';
import {
  listOf,
  NEW_SOURCE_PRESET,
  SOURCE_PRESET,
  type ConnectionTest,
  type CredentialSummary,
  type DestinationSummary,
  type EventType,
  type FlowOut,
  type FlowTestOut,
  type NodeTestResult,
  type SourceSample,
  type SourceSummary,
} from './flow-api.ts';
import { edgeTypes } from './FlowEdgeView.tsx';
import { nodeTypes } from './FlowNodeView.tsx';
import { check, defaultData, fromGraph, nextId, nextPosition, problemsByNode, splitProblems, toGraph, upstreamIds, type CanvasNode } from './graph.ts';
import { useHistory } from './history.ts';
import { useLeaveGuard } from './LeaveGuard.tsx';
import { NodePanel } from './NodePanel.tsx';
import { DRAG_TYPE, Palette, type PaletteItem } from './Palette.tsx';
import { flowFieldWarnings, panelEnv, triggerOf } from './panel-env.ts';
import { warningsByNode, warningSummary, warningText } from './step-fields.ts';
import { NewFlowChooser } from './NewFlowChooser.tsx';
import { TemplateChecklist } from './TemplateChecklist.tsx';
import { TestDrawer } from './TestDrawer.tsx';
import { useFlowStats } from './useFlowStats.ts';
import { useSourceActions } from './useSourceActions.ts';

export type { FlowOut };
type Snapshot = { nodes: CanvasNode[]; edges: Edge[] };

/** What a save would store: compared with the last saved one, it says whether there are unsaved changes. */
const saveKey = (name: string, nodes: CanvasNode[], edges: Edge[]) => JSON.stringify({ name, graph: toGraph(nodes, edges) });

/**
 * Fit view's padding: room for the zoom buttons (bottom left) and, when shown, the minimap
 * (bottom right), which sit over the canvas; the palette, the node panel and the Test drawer sit
 * beside it and already shrink it. The zoom never drops below 0.75, where labels stay legible.
 */
const fitOptions = (minimap: boolean) =>
  ({ maxZoom: 1, minZoom: 0.75, padding: { top: '24px', left: '56px', bottom: minimap ? '40px' : '24px', right: minimap ? '230px' : '32px' } }) as const;

/** The flow editor: palette on the left, canvas in the middle, the selected node's form on the right, Test below. */
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
  const rf = useReactFlow<CanvasNode, Edge>();
  const { screenToFlowPosition, fitView } = rf;
  const types = useLoad(() => api<{ models: EventType[] }>('GET', '/event-types'));
  const dests = useLoad(() => api<{ models: DestinationSummary[] }>('GET', '/destinations?limit=255'));
  // Without the credentials list the panels just do not say whether one is missing.
  const creds = useLoad(() => api<{ models: CredentialSummary[] }>('GET', '/credentials').catch(() => null));
  const srcs = useLoad(() => api<{ models: SourceSummary[] }>('GET', '/sources?limit=255'));
  const [name, setName] = useState('New flow');
  const [nodes, setNodes] = useState<CanvasNode[]>([]);
  const [edges, setEdges] = useState<Edge[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [panelCollapsed, setPanelCollapsed] = useState(false);
  const [paletteCollapsed, setPaletteCollapsed] = useState(false);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [serverProblems, setServerProblems] = useState<{ path: string; message: string }[]>([]);
  const [secrets, setSecrets] = useState<FlowOut['secrets']>([]);
  const [saving, setSaving] = useState(false);
  const [savedAt, setSavedAt] = useState<string | null>(null);
  const [toast, setToast] = useState<string | null>(null);
  const hideToast = useCallback(() => setToast(null), []);
  // Pending problems (not connected yet, empty fields) turn red once the user tries to save.
  const [attempted, setAttempted] = useState(false);
  const [baseline, setBaseline] = useState(() => saveKey('New flow', [], []));
  const [testOpen, setTestOpen] = useState(false);
  const [testResult, setTestResult] = useState<FlowTestOut | null>(null);
  const history = useHistory<Snapshot>();
  const current = useRef<Snapshot>({ nodes, edges });
  current.current = { nodes, edges };
  const canvasRef = useRef<HTMLDivElement>(null);
  const stats = useFlowStats(isNew ? null : (id ?? null), savedAt);
  const eventTypes = useMemo(() => types.data?.models ?? [], [types.data]);
  const destinations = useMemo(() => listOf(dests.data), [dests.data]);
  const credentials = creds.data ? listOf(creds.data) : null;
  // The built-in APPLICATION source carries published events: its triggers are the event types.
  const sources = useMemo(() => listOf(srcs.data).filter((s) => s.type !== 'APPLICATION'), [srcs.data]);
  // The last request of each source trigger on the canvas: the filter, dedupe and map panels'
  // sample, and what the canvas checks the steps' fields against with every panel closed.
  const [sourceSamples, setSourceSamples] = useState<Record<string, SourceSample | null>>({});
  const canvasSources = useMemo(
    () =>
      [...new Set(nodes.flatMap((n) => (n.type === 'trigger' && typeof n.data.sourceId === 'string' && n.data.sourceId ? [n.data.sourceId] : [])))]
        .sort()
        .join('\n'),
    [nodes],
  );
  const askedSamples = useRef(new Set<string>());
  useEffect(() => {
    for (const sourceId of canvasSources ? canvasSources.split('\n') : []) {
      if (sourceId in sourceSamples || askedSamples.current.has(sourceId)) continue;
      askedSamples.current.add(sourceId);
      api<SourceSample>('GET', `/flows/source-sample?source_id=${encodeURIComponent(sourceId)}`)
        .then((s) => setSourceSamples((m) => ({ ...m, [sourceId]: s })))
        .catch(() => setSourceSamples((m) => ({ ...m, [sourceId]: null })))
        .finally(() => askedSamples.current.delete(sourceId));
    }
  }, [canvasSources, sourceSamples]);

  // `/flows/new?template=…[&source=…]`: the template's graph, drawn, with its placeholders listed.
  const [search] = useSearchParams();
  const template = isNew ? flowTemplate(search.get('template') ?? '') : undefined;
  const templateSource = search.get('source') ?? undefined;
  // "Start from scratch" puts the templates away.
  const [scratch, setScratch] = useState(false);
  useEffect(() => {
    if (!template) return;
    const g = fromGraph(fillTemplate(template, {}, templateSource));
    setName(template.flowName);
    setNodes(g.nodes);
    setEdges(g.edges);
    // After React Flow has measured the nodes.
    setTimeout(() => void fitView(fitOptions(true)), 50);
  }, [template, templateSource, fitView]);

  // The flow just saved under a new address is already on screen: it is not loaded (nor fitted) again.
  const shown = useRef<string | null>(null);
  useEffect(() => {
    if (isNew || shown.current === id) return;
    shown.current = id ?? null;
    api<FlowOut>('GET', `/flows/${id}`)
      .then((flow) => {
        const g = fromGraph(flow.graph);
        setName(flow.name);
        setNodes(g.nodes);
        setEdges(g.edges);
        setBaseline(saveKey(flow.name, g.nodes, g.edges));
        setServerProblems(flow.problems ?? []);
        // Fitted once, when the flow opens; after that only the Fit view button moves the view.
        setTimeout(() => void fitView(fitOptions(true)), 50);
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
  const split = useMemo(() => splitProblems(problems, nodes, attempted), [problems, nodes, attempted]);
  // Fields a step names that its trigger's sample lacks: said on the node and in the toolbar, never
  // in the way of saving (a sample may simply lack an optional field).
  const warnings = useMemo(() => flowFieldWarnings(nodes, edges, eventTypes, sources, sourceSamples), [nodes, edges, eventTypes, sources, sourceSamples]);
  const dirty = useMemo(() => saveKey(name, nodes, edges) !== baseline, [name, nodes, edges, baseline]);

  const addedFrom = useRef<string | null>(null);
  // The node a palette item is held over: dropped there, the item is added after it, connected.
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  /** The "+" on a node's output: the new node goes to its right, connected, and its panel opens. */
  const onAddNext = useCallback(
    (from: string, kind: Exclude<NodeKind, 'trigger'>, preset?: string) => {
      const { nodes: ns } = current.current;
      const source = ns.find((n) => n.id === from);
      if (!source) return;
      record();
      const nodeId = nextId(kind, ns);
      const position = nextPosition(source, ns, rf.getInternalNode(from)?.measured.width);
      setNodes((all) => [
        ...all.map((n) => (n.selected ? { ...n, selected: false } : n)),
        { id: nodeId, type: kind, position, data: defaultData(kind, preset) },
      ]);
      setEdges((es) => addEdge({ id: `e_${from}_${nodeId}`, source: from, target: nodeId, type: 'counted' }, es));
      addedFrom.current = from;
      setSelected(nodeId);
      setPanelCollapsed(false);
    },
    [record, rf],
  );

  const canvas = useMemo<CanvasInfo>(() => {
    const merged = problemsByNode(split.errors);
    for (const [k, v] of problemsByNode(serverProblems)) merged.set(k, [...(merged.get(k) ?? []), ...v]);
    return {
      problems: merged,
      pending: split.pending,
      warnings: warningsByNode(warnings),
      onAddNext,
      dropTarget,
      test: testResult?.nodes ?? null,
      stats,
      destinations,
      sources,
    };
  }, [split, serverProblems, warnings, onAddNext, dropTarget, testResult, stats, destinations, sources]);

  // The panel opening beside the nodes (or the drawer below them) shrinks the canvas and can hide
  // the selected node, and a step added by "+" can land past the edge. When less than half of the
  // selected node is in sight, pan just enough to show it whole (handles included); otherwise the
  // view stays exactly where the user left it: a drop never moves it. 250 ms lets React Flow
  // measure the new size first.
  useEffect(() => {
    if (!selected) return;
    const timer = setTimeout(() => {
      const box = canvasRef.current?.getBoundingClientRect();
      const n = rf.getInternalNode(selected);
      if (!box || !n) return;
      const { x, y } = n.internals.positionAbsolute;
      const tl = rf.flowToScreenPosition({ x, y });
      const br = rf.flowToScreenPosition({ x: x + (n.measured.width ?? 180), y: y + (n.measured.height ?? 60) });
      // A step added by "+" is shown with the node it follows: zoomed out a little (never below
      // 0.75) when the two do not fit side by side.
      const from = addedFrom.current;
      addedFrom.current = null;
      const pair = from ? rf.getNodes().filter((m) => m.id === from || m.id === selected) : [];
      if (pair.length === 2) {
        const b = rf.getNodesBounds(pair);
        const a = rf.flowToScreenPosition({ x: b.x, y: b.y });
        const z = rf.flowToScreenPosition({ x: b.x + b.width, y: b.y + b.height });
        if (a.x < box.left || a.y < box.top || z.x > box.right || z.y > box.bottom) {
          void rf.fitView({
            nodes: pair.map((m) => ({ id: m.id })),
            padding: { left: '40px', right: '48px', top: '32px', bottom: '32px' },
            maxZoom: rf.getZoom(),
            minZoom: 0.75,
            duration: 200,
          });
          return;
        }
      }
      const seen = Math.max(0, Math.min(br.x, box.right) - Math.max(tl.x, box.left)) * Math.max(0, Math.min(br.y, box.bottom) - Math.max(tl.y, box.top));
      if (seen >= 0.5 * (br.x - tl.x) * (br.y - tl.y)) return;
      const room = 24; // a handle and the "+" sit outside the node
      const shift = (lo: number, hi: number, min: number, max: number) =>
        hi > max - room ? Math.max(max - room - hi, min + room - lo) : lo < min + room ? min + room - lo : 0;
      const { x: vx, y: vy, zoom } = rf.getViewport();
      void rf.setViewport({ x: vx + shift(tl.x, br.x, box.left, box.right), y: vy + shift(tl.y, br.y, box.top, box.bottom), zoom }, { duration: 200 });
    }, 250);
    return () => clearTimeout(timer);
  }, [selected, panelCollapsed, testOpen, rf]);

  const minimap = !testOpen && !(selected !== null && !panelCollapsed);
  const fit = () => void fitView({ ...fitOptions(minimap), duration: 200 });

  // A test run puts a badge on every node: when some are out of sight (the drawer took the lower
  // part of the canvas), show them all; when all are in sight, the view stays where the user left it.
  useEffect(() => {
    if (!testResult) return;
    const timer = setTimeout(() => {
      const box = canvasRef.current?.getBoundingClientRect();
      const all = rf.getNodes();
      if (!box || !all.length) return;
      const b = rf.getNodesBounds(all);
      const tl = rf.flowToScreenPosition({ x: b.x, y: b.y });
      const br = rf.flowToScreenPosition({ x: b.x + b.width, y: b.y + b.height });
      // Every badge in sight matters more here than the 0.75 floor of Fit view: the drawer leaves the canvas short.
      if (tl.x < box.left || tl.y < box.top || br.x > box.right || br.y > box.bottom) void fitView({ ...fitOptions(false), minZoom: 0.5, duration: 200 });
    }, 250);
    return () => clearTimeout(timer);
  }, [testResult, fitView, rf]);

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
      setEdges((es) => addEdge({ ...c, id: `e_${c.source}_${c.target}`, type: 'counted' }, es));
    },
    [record],
  );

  const sourceActions = useSourceActions(srcs.reload, setSourceSamples);
  const addNode = (kind: NodeKind, preset: string | undefined, position: { x: number; y: number }) => {
    record();
    const nodeId = nextId(kind, current.current.nodes);
    // "Incoming webhook": the trigger shows at once; its source, made meanwhile, fills it in a moment.
    const fresh = preset === NEW_SOURCE_PRESET;
    if (fresh) {
      const onCanvas = current.current.nodes.flatMap((n) => (typeof n.data.sourceId === 'string' ? [n.data.sourceId] : []));
      sourceActions
        .create(onCanvas)
        .then((src) => setNodes((ns) => ns.map((n) => (n.id === nodeId ? { ...n, data: { ...n.data, sourceId: src.id } } : n))), setSaveError);
    }
    setNodes((ns) => [...ns, { id: nodeId, type: kind, position, data: defaultData(kind, fresh ? SOURCE_PRESET : preset) }]);
    setSelected(nodeId);
    setPanelCollapsed(false);
  };
  /** The node under a drag that can take a next step (not a destination), else null. */
  const nodeUnder = (e: DragEvent): CanvasNode | null => {
    const id = e.target instanceof Element ? e.target.closest('.react-flow__node')?.getAttribute('data-id') : null;
    const n = id ? current.current.nodes.find((m) => m.id === id) : undefined;
    return n && !isDestinationKind(n.type) ? n : null;
  };
  const onDragOver = (e: DragEvent) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
    const over = nodeUnder(e)?.id ?? null;
    if (over !== dropTarget) setDropTarget(over);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDropTarget(null);
    const raw = e.dataTransfer.getData(DRAG_TYPE);
    if (!raw) return;
    const { kind, preset } = JSON.parse(raw) as { kind: NodeKind; preset?: string };
    // Dropped onto a step or trigger, a step or destination goes after it, connected (never stacked on it).
    const onto = kind !== 'trigger' ? nodeUnder(e) : null;
    if (onto && kind !== 'trigger') return onAddNext(onto.id, kind, preset);
    addNode(kind, preset, screenToFlowPosition({ x: e.clientX, y: e.clientY }));
  };
  /** A palette item pressed (keyboard, or a click instead of a drag): placed right of the rightmost node. */
  const onPaletteAdd = (item: PaletteItem) => {
    const ns = current.current.nodes;
    const box = canvasRef.current?.getBoundingClientRect();
    const right = ns.reduce<CanvasNode | null>((r, n) => (!r || n.position.x > r.position.x ? n : r), null);
    const position = right
      ? { x: right.position.x + 260, y: right.position.y }
      : box
        ? screenToFlowPosition({ x: box.left + 60, y: box.top + 60 })
        : { x: 0, y: 0 };
    addNode(item.kind, item.preset, position);
  };

  const selectedNode = nodes.find((n) => n.id === selected) ?? null;
  const setData = (data: Record<string, unknown>) => {
    record();
    setNodes((ns) => ns.map((n) => (n.id === selected ? { ...n, data } : n)));
  };

  /**
   * Runs one node, with its data as being edited, on its trigger's sample: the graph sent holds only
   * what leads to the node, so an unfinished destination further on does not stop the preview.
   */
  const previewNode = useCallback(async (nodeId: string, data: Record<string, unknown>): Promise<NodeTestResult | undefined> => {
    const { nodes: ns, edges: es } = current.current;
    const keep = new Set([nodeId, ...upstreamIds(nodeId, es)]);
    const graph = toGraph(
      ns.filter((n) => keep.has(n.id)).map((n) => (n.id === nodeId ? { ...n, data } : n)),
      es.filter((e) => keep.has(e.source) && keep.has(e.target)),
    );
    const trigger = triggerOf(nodeId, ns, es);
    try {
      const out = await api<FlowTestOut>('POST', '/flows/test', { graph, ...(trigger ? { trigger } : {}), use: 'sample' });
      return out.nodes[nodeId];
    } catch (err) {
      // A 422 names what to fix (an expression that does not compile…): that is the preview's answer.
      if (err instanceof ApiError && err.status === 422 && err.details.length)
        return { status: 'error', message: err.details.map((d) => d.message).join('; ') };
      throw err;
    }
  }, []);
  const testConnection = useCallback(async (nodeId: string, data: Record<string, unknown>): Promise<ConnectionTest> => {
    const node = current.current.nodes.find((n) => n.id === nodeId);
    if (!node) throw new Error('This node is gone.');
    if (node.type === 'destination') return api<ConnectionTest>('POST', `/destinations/${String(data.destinationId)}/test`);
    return api<ConnectionTest>('POST', '/flows/test-connection', { node: toGraph([{ ...node, data }], []).nodes[0] });
  }, []);
  const preview = useCallback((data: Record<string, unknown>) => previewNode(selected as string, data), [previewNode, selected]);
  const testSelected = useCallback((data: Record<string, unknown>) => testConnection(selected as string, data), [testConnection, selected]);
  const env = selectedNode
    ? panelEnv({
        node: selectedNode,
        nodes,
        edges,
        eventTypes,
        destinations,
        credentials,
        sources,
        sourceSamples,
        test: testResult,
        preview,
        testConnection: testSelected,
        sourceActions,
      })
    : null;

  const save = async (): Promise<boolean> => {
    setSaveError(null);
    setAttempted(true);
    if (problems.length) {
      const graph = toGraph(nodes, edges);
      const more = problems.length > 3 ? ` (${problems.length - 3} more.)` : '';
      setSaveError(
        new Error(
          `Fix ${problems.length} problem${problems.length > 1 ? 's' : ''} first. ${problems
            .slice(0, 3)
            .map((p) => problemSentence(p, graph))
            .join(' ')}${more}`,
        ),
      );
      return false;
    }
    setSaving(true);
    try {
      const graph = toGraph(nodes, edges);
      const flow = isNew ? await api<FlowOut>('POST', '/flows', { name, graph }) : await api<FlowOut>('PUT', `/flows/${id}`, { name, graph });
      const g = fromGraph(flow.graph);
      setNodes(g.nodes.map((n) => (n.id === selected ? { ...n, selected: true } : n)));
      setEdges(g.edges);
      setName(flow.name);
      setBaseline(saveKey(flow.name, g.nodes, g.edges));
      setAttempted(false);
      setServerProblems(flow.problems ?? []);
      setSecrets(flow.secrets ?? []);
      setSavedAt(new Date().toLocaleTimeString());
      setToast('Saved.');
      if (isNew) {
        shown.current = flow.id;
        guard.allowNext();
        navigate(`/flows/${flow.id}`, { replace: true });
      }
      return true;
    } catch (err) {
      setSaveError(err);
      if (err instanceof ApiError) setServerProblems(err.details.flatMap((d) => (d.path ? [{ path: d.path, message: d.message }] : [])));
      return false;
    } finally {
      setSaving(false);
    }
  };
  const guard = useLeaveGuard(dirty, save);

  if (loadError) return <ErrorBox error={loadError} />;
  const problemCount = split.errors.length + serverProblems.length;
  const pendingCount = split.pending.size;
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
        <button onClick={fit} data-testid="fit-view" title="Show the whole flow">
          Fit view
        </button>
        <button
          onClick={() => setTestOpen((o) => !o)}
          data-testid="test-open"
          aria-expanded={testOpen}
          title="Run a sample event through the flow and see what each step makes"
        >
          Test
        </button>
        <button
          className="primary"
          onClick={() => void save()}
          disabled={saving || (!dirty && !isNew)}
          data-testid="save-flow"
          title={dirty || isNew ? 'Save the flow' : 'Nothing to save: no changes since the last save'}
        >
          {saving ? 'Saving…' : 'Save'}
        </button>
        {dirty && (
          <span className="unsaved" data-testid="unsaved">
            Unsaved changes
          </span>
        )}
        {problemCount > 0 ? (
          <span className="warn" data-testid="problem-count">
            {problemCount} problem{problemCount > 1 ? 's' : ''}
          </span>
        ) : pendingCount > 0 ? (
          <span className="muted" data-testid="pending-count" title="Connect each step from a trigger to a destination and fill in its fields">
            {pendingCount} step{pendingCount > 1 ? 's' : ''} to finish
          </span>
        ) : warnings.length === 0 ? (
          <span className="good" data-testid="ready">
            Ready to save
          </span>
        ) : null}
        {warnings.length > 0 && (
          <span className="flow-warning-count" data-testid="warning-count" title={warnings.map((w) => `${w.nodeId}: ${warningText(w)}`).join('\n')}>
            ⚠ {warningSummary(warnings)}
          </span>
        )}
        {savedAt && (
          <span className="muted" data-testid="saved-at">
            Saved at {savedAt}
          </span>
        )}
        {stats && <span className="muted">Counts: last 24 hours, updated every few seconds</span>}
      </div>
      <ErrorBox error={saveError} />
      {template && (
        <TemplateChecklist
          template={template}
          nodes={nodes}
          onOpen={(nodeId) => {
            setSelected(nodeId);
            setPanelCollapsed(false);
          }}
        />
      )}
      <Toast message={toast} onDone={hideToast} testid="saved-toast" />
      {guard.dialog}
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
      <div className={`flow-editor${paletteCollapsed ? ' palette-collapsed' : ''}`}>
        <Palette
          eventTypes={eventTypes}
          destinations={destinations}
          sources={sources}
          collapsed={paletteCollapsed}
          onCollapse={setPaletteCollapsed}
          onAdd={onPaletteAdd}
        />
        <div className="flow-center">
          <div
            className="flow-canvas"
            onDragOver={onDragOver}
            onDragLeave={(e) => e.currentTarget === e.target && setDropTarget(null)}
            onDrop={onDrop}
            data-testid="canvas"
            ref={canvasRef}
          >
            <CanvasContext.Provider value={canvas}>
              <ReactFlow<CanvasNode, Edge>
                nodes={nodes}
                edges={edges}
                nodeTypes={nodeTypes}
                edgeTypes={edgeTypes}
                defaultEdgeOptions={{ type: 'counted' }}
                onNodesChange={onNodesChange}
                onEdgesChange={onEdgesChange}
                onConnect={onConnect}
                onNodeDragStart={record}
                onNodeClick={(_e, n) => {
                  setSelected(n.id);
                  setPanelCollapsed(false);
                }}
                onPaneClick={() => setSelected(null)}
                deleteKeyCode={['Backspace', 'Delete']}
                // No fitView prop: it would fit again whenever the prop flips (a new flow's first save); a loaded flow is fitted once, above.
              >
                <Background />
                {/* The drawer leaves the canvas short, an open panel narrow: the minimap would cover the nodes. */}
                {minimap && <MiniMap pannable zoomable />}
                <Controls />
              </ReactFlow>
            </CanvasContext.Provider>
            {nodes.length === 0 && <div className="flow-empty">Drag a trigger from the left onto this canvas to start, for example “Lead captured”.</div>}
          </div>
          {testOpen && (
            <TestDrawer
              graph={() => toGraph(current.current.nodes, current.current.edges)}
              nodes={nodes}
              eventTypes={eventTypes}
              result={testResult}
              onResult={setTestResult}
              onClose={() => setTestOpen(false)}
            />
          )}
        </div>
        {/* A new, empty flow offers templates where a node's form opens: beside the canvas, not over it. */}
        {isNew && !template && !scratch && nodes.length === 0 && <NewFlowChooser onDismiss={() => setScratch(true)} />}
        {selectedNode && env && (
          <NodePanel
            key={selectedNode.id}
            node={selectedNode}
            env={env}
            problems={canvas.problems.get(selectedNode.id) ?? []}
            collapsed={panelCollapsed}
            onCollapse={setPanelCollapsed}
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

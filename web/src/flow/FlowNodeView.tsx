import { Handle, Position, type NodeProps } from '@xyflow/react';
import { useEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { connectorNode } from '../../../shared/connectors.ts';
import { isDestinationKind, type NodeKind } from '../../../shared/flow-graph.ts';
import { rowCells, SheetRow } from '../ui/SheetRow.tsx';
import { useCanvas } from './canvas-context.ts';
import { NodeCounts } from './NodeCounts.tsx';
import type { DestinationSummary, NodeTestResult, SourceSummary } from './flow-api.ts';
import { humanize, KIND_LABEL, NEXT_KINDS, toUnit, type CanvasNode } from './graph.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const duration = (ms: unknown) => {
  const { amount, unit } = toUnit(Number(ms ?? 0));
  return `${amount} ${amount === 1 ? unit.slice(0, -1) : unit}`;
};
const short = (s: string, n = 48) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** One line under the node's kind saying what it is set to do; a connector's node says its own. */
export function summary(kind: NodeKind, d: Record<string, unknown>, destinations: DestinationSummary[] = [], sources: SourceSummary[] = []): string {
  const own = connectorNode(kind);
  if (own) return own.summary(d);
  switch (kind) {
    case 'trigger':
      if (d.sourceId !== undefined) return `Requests to ${sources.find((s) => s.id === d.sourceId)?.name ?? (String(d.sourceId) || 'a source')}`;
      return d.eventType ? `${humanize(String(d.eventType))} (${String(d.eventType)})` : 'choose an event';
    case 'filter': {
      const n = Array.isArray(d.conditions) ? d.conditions.length : 0;
      return `${plural(n, 'condition')} (${d.mode === 'any' ? 'any' : 'all'})`;
    }
    case 'transform':
      return d.expression ? short(String(d.expression).replace(/\s+/g, ' ')) : 'write an expression';
    case 'map': {
      const n = Array.isArray(d.mappings) ? d.mappings.length : 0;
      return n ? `${plural(n, 'field')}, ${String(d.envelope)} envelope` : 'every field of the event';
    }
    case 'delay':
      return `wait ${duration(d.delay_ms)}`;
    case 'dedupe': {
      const fields = (d.include_fields ?? d.exclude_fields) as string[] | undefined;
      return `repeats within ${duration(d.window_ms)}${fields?.length ? `, ${d.include_fields ? 'on' : 'ignoring'} ${fields.join(', ')}` : ''}`;
    }
    case 'destination': {
      const dest = destinations.find((x) => x.id === d.destinationId);
      return dest ? `Send to ${dest.name}` : 'choose a destination';
    }
    default:
      return '';
  }
}

/** The columns naming the cells of the row a node sends (a sheet's), as its connector's node says; null for every other kind. */
export function sheetColumns(kind: string | undefined, d: Record<string, unknown>): string[] | null {
  return connectorNode(kind)?.rowColumns?.(d) ?? null;
}

const STATUS_TEXT: Record<NodeTestResult['status'], string> = { passed: '✓ passed', stopped: '■ stopped here', error: '✗ error', skipped: '– not reached' };

/** The first fields of a body, one per line, for a glance at what a destination would get. */
function glance(output: unknown): string {
  if (output === null || typeof output !== 'object') return JSON.stringify(output) ?? '';
  const lines = Object.entries(output as Record<string, unknown>).map(([k, v]) => `${k}: ${short(JSON.stringify(v) ?? '', 32)}`);
  return lines.length > 6 ? [...lines.slice(0, 6), `… ${lines.length - 6} more`].join('\n') : lines.join('\n');
}

/**
 * The "+" beside a node's output (as in n8n): a short menu of step and destination kinds; the one
 * chosen goes to the right of this node, connected to it. `nodrag`: pressing it never moves the
 * node. The menu is drawn over the page (a portal, fixed where the button is, flipped to its left
 * when the right side has no room) so the canvas's edge or the panel beside it never cut it off.
 */
function AddNext({ id, onAdd, hasDestinations }: { id: string; onAdd: (from: string, kind: Exclude<NodeKind, 'trigger'>) => void; hasDestinations: boolean }) {
  const [at, setAt] = useState<{ left: number; top: number } | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!at) return;
    const close = (e: Event) => {
      const inside = e.target instanceof Node && (menu.current?.contains(e.target) || button.current?.contains(e.target));
      if (!inside) setAt(null);
    };
    const esc = (e: KeyboardEvent) => e.key === 'Escape' && setAt(null);
    document.addEventListener('pointerdown', close);
    document.addEventListener('keydown', esc);
    document.addEventListener('wheel', close, { passive: true });
    return () => {
      document.removeEventListener('pointerdown', close);
      document.removeEventListener('keydown', esc);
      document.removeEventListener('wheel', close);
    };
  }, [at]);
  const toggle = () => {
    const r = button.current?.getBoundingClientRect();
    if (at || !r) return setAt(null);
    const width = 190;
    const height = 330;
    const left = r.right + 8 + width <= window.innerWidth ? r.right + 8 : Math.max(8, r.left - 8 - width);
    setAt({ left, top: Math.max(8, Math.min(r.top - 8, window.innerHeight - height - 8)) });
  };
  const kinds = NEXT_KINDS.filter((k) => k !== 'destination' || hasDestinations);
  return (
    <div className="flow-add-next nodrag nopan" onClick={(e) => e.stopPropagation()} onDoubleClick={(e) => e.stopPropagation()}>
      <button
        ref={button}
        className="flow-add-next-button"
        data-testid={`add-next-${id}`}
        aria-label="Add the next step"
        aria-haspopup="menu"
        aria-expanded={at !== null}
        title="Add the next step, connected to this one"
        onClick={toggle}
      >
        +
      </button>
      {at &&
        createPortal(
          <div
            ref={menu}
            className="flow-add-next-menu"
            role="menu"
            aria-label="Add the next step"
            data-testid={`add-next-menu-${id}`}
            style={{ left: at.left, top: at.top }}
          >
            {kinds.map((k, i) => (
              <button
                key={k}
                role="menuitem"
                className={i === 5 ? 'first-destination' : undefined}
                data-testid={`add-next-${id}-${k}`}
                autoFocus={i === 0}
                onClick={() => {
                  setAt(null);
                  onAdd(id, k);
                }}
              >
                {k === 'destination' ? 'A destination you have' : KIND_LABEL[k]}
              </button>
            ))}
          </div>,
          document.body,
        )}
    </div>
  );
}

export function FlowNodeView(props: NodeProps<CanvasNode>) {
  const { problems: all, pending: pendingAll, warnings: warningsAll, onAddNext, dropTarget, test, destinations, sources } = useCanvas();
  const problems = all.get(props.id) ?? [];
  // Not connected yet, or a field not filled in yet: said softly until the user tries to save.
  const pending = problems.length ? undefined : pendingAll?.get(props.id);
  // A field the sample lacks: in amber, whatever else the node says, and never red (it may be optional).
  const missing = warningsAll?.get(props.id) ?? [];
  const kind = props.type;
  const result = test?.[props.id];
  const destination = isDestinationKind(kind);
  // A sheet's row reads as column → cell; other bodies as their first fields.
  const columns = sheetColumns(kind, props.data);
  const sheetRow = rowCells(result?.output, columns) !== null;
  return (
    <div
      className={`flow-node flow-${kind}${destination ? ' flow-dest' : ''}${problems.length ? ' invalid' : ''}${pending ? ' pending' : ''}${missing.length && !problems.length ? ' warned' : ''}${props.selected ? ' selected' : ''}${dropTarget === props.id ? ' drop-target' : ''}`}
      data-testid={`node-${props.id}`}
      title={[...(pending?.messages ?? problems), ...missing.map((f) => `The sample has no field “${f}”`)].join('\n')}
    >
      {kind !== 'trigger' && <Handle type="target" position={Position.Left} />}
      <div className="flow-node-kind">{KIND_LABEL[kind]}</div>
      <div className="flow-node-summary">{summary(kind, props.data, destinations, sources)}</div>
      {result && (
        <div className={`flow-badge ${result.status}`} data-testid={`test-badge-${props.id}`} title={result.message}>
          {STATUS_TEXT[result.status]}
          {result.message && result.status !== 'passed' ? `: ${short(result.message, 60)}` : ''}
        </div>
      )}
      {result &&
        destination &&
        result.output !== undefined &&
        (sheetRow ? (
          <div className="flow-node-output sheet" data-testid={`test-output-node-${props.id}`}>
            <SheetRow value={result.output} columns={columns} />
          </div>
        ) : (
          <pre className="flow-node-output" data-testid={`test-output-node-${props.id}`}>
            {glance(result.output)}
          </pre>
        ))}
      <NodeCounts id={props.id} />
      {problems.length > 0 && (
        <ul className="flow-node-problems" data-testid={`problems-${props.id}`}>
          {problems.map((p, i) => (
            <li key={i}>{p}</li>
          ))}
        </ul>
      )}
      {missing.length > 0 && (
        <ul className="flow-node-warnings" data-testid={`warning-${props.id}`}>
          {missing.map((f) => (
            <li key={f}>⚠ The sample has no field “{f}”</li>
          ))}
        </ul>
      )}
      {pending && (
        <div className="flow-node-pending" data-testid={`pending-${props.id}`}>
          {pending.unconnected ? 'Not connected yet' : 'Not set up yet'}
        </div>
      )}
      {!destination && <Handle type="source" position={Position.Right} />}
      {!destination && onAddNext && <AddNext id={props.id} onAdd={onAddNext} hasDestinations={destinations.length > 0} />}
    </div>
  );
}

export const nodeTypes = Object.fromEntries((Object.keys(KIND_LABEL) as NodeKind[]).map((k) => [k, FlowNodeView]));

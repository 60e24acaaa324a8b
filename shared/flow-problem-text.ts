import { CONNECTOR_NODES, connectorNode } from '../connectors/catalogue.ts';
import { fieldSentence, issueSentence } from './issue-text.ts';

/**
 * A flow's problems as sentences that name the step in words — "The Google Sheet step “Leads”:
 * column 2 needs a name." — not `nodes.s1.data.columns.1: a column needs a name`. Pure and
 * dependency-free (Vite bundles it): the server words its 422s with it and the editor its own
 * checks. The paths stay in the details, for programs and for the canvas, which marks the node
 * a path names.
 */

type LooseNode = { id?: unknown; kind?: unknown; data?: unknown };
type LooseEdge = { id?: unknown; source?: unknown; target?: unknown };
/** A graph as sent, maybe invalid: only what names its steps is read. */
export type GraphLike = { nodes?: readonly LooseNode[]; edges?: readonly LooseEdge[] };

/** One problem of a flow: `path` for programs and the canvas, `sentence` for people. */
export type FlowDetail = { path: string; message: string; sentence: string; node_id?: string; edge_id?: string };

/** What a node is, as a person says it; the key set is the node kinds of flow-graph.ts. */
const KIND_WORDS: Record<string, string> = {
  trigger: 'trigger',
  filter: 'filter step',
  transform: 'transform step',
  map: 'map step',
  delay: 'delay step',
  dedupe: 'deduplicate step',
  ...Object.fromEntries(CONNECTOR_NODES.map((n) => [n.kind, n.words])),
  destination: 'destination step',
};

/** Fields of a node's data in words; the rest are their name with `_`/camelCase split. */
const FIELD_WORDS: Record<string, string> = {
  eventType: 'the event type',
  sourceId: 'the source',
  destinationId: 'the destination',
  url: 'the URL',
  signing: 'the signing',
  signature: 'the signature headers',
  authorization: 'the Authorization header',
  spreadsheetId: 'the spreadsheet',
  sheetName: 'the sheet name',
  columns: 'the columns',
  credentialId: 'the credential',
  preset: 'the CRM',
  expression: 'the expression',
  mappings: 'the mappings',
  envelope: 'the envelope',
  conditions: 'the conditions',
  mode: 'the mode',
  delay_ms: 'the delay',
  window_ms: 'the time window',
  include_fields: 'the fields to compare',
  exclude_fields: 'the fields to ignore',
  field: 'the field',
  op: 'the comparison',
  value: 'the value',
  to: 'the field name',
  from: 'the field it comes from',
  default: 'the default',
  kind: 'the kind',
  position: 'the position',
};
/** Lists whose items are said by number ("column 2", "condition 1"). */
const ITEM_WORDS: Record<string, string> = {
  columns: 'column',
  mappings: 'mapping',
  conditions: 'condition',
  include_fields: 'compared field',
  exclude_fields: 'ignored field',
};

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const stop = (s: string) => (/[.!?]$/.test(s) ? s : `${s}.`);
const words = (key: string) =>
  key
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
const dataOf = (n: LooseNode): Record<string, unknown> => (typeof n.data === 'object' && n.data !== null ? (n.data as Record<string, unknown>) : {});
const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);

function kindWords(kind: string, d: Record<string, unknown>): string {
  return kind === 'trigger' && d.sourceId !== undefined ? 'incoming-webhook trigger' : KIND_WORDS[kind];
}

/** What tells a step from others of its kind, from its own settings (the canvas shows the same): a connector's node says. */
function label(kind: string, d: Record<string, unknown>): string | null {
  if (kind === 'trigger') return text(d.eventType);
  return connectorNode(kind)?.name?.(d) ?? null;
}

/**
 * A node in words: "the Google Sheet step “Leads”", "the map step". The node's id is added only
 * when another node of the graph would read the same (two map steps: "the map step “map_2”").
 */
export function stepWords(id: string, graph: GraphLike): string {
  const nodes = graph.nodes ?? [];
  const node = nodes.find((n) => n.id === id);
  const kind = typeof node?.kind === 'string' && Object.hasOwn(KIND_WORDS, node.kind) ? node.kind : null;
  if (!node || !kind) return `the node “${id}”`;
  const what = kindWords(kind, dataOf(node));
  const name = label(kind, dataOf(node));
  const twin = nodes.some(
    (n) =>
      n !== node &&
      typeof n.kind === 'string' &&
      Object.hasOwn(KIND_WORDS, n.kind) &&
      kindWords(n.kind, dataOf(n)) === what &&
      label(n.kind, dataOf(n)) === name,
  );
  if (!twin) return name ? `the ${what} “${name}”` : `the ${what}`;
  return name ? `the ${what} “${name}” (${id})` : `the ${what} “${id}”`;
}

/** A field of a node's data (the path after `nodes.<id>`) in words: "column 2", "the expression of mapping 1", "the URL". */
function fieldPhrase(sub: string[]): string | null {
  const parts = sub[0] === 'data' ? sub.slice(1) : sub;
  if (!parts.length) return null;
  const [list, index, ...rest] = parts;
  const named = (k: string) => FIELD_WORDS[k] ?? `the ${words(k)}`;
  if (index !== undefined && /^\d+$/.test(index) && Object.hasOwn(ITEM_WORDS, list)) {
    const item = `${ITEM_WORDS[list]} ${Number(index) + 1}`;
    return rest.length ? `${named(rest[rest.length - 1])} of ${item}` : item;
  }
  return named(parts[parts.length - 1]);
}

/** What is wrong, after the step's name: the project's own messages as they are (they are written to be read there), zod's in words. */
function problemText(sub: string[], message: string, code?: string): string {
  const m = message.trim().replace(/\.$/, '');
  const field = fieldPhrase(sub);
  if (!field) return m;
  // "a column needs a name" at the second column: "column 2 needs a name".
  const item = /^an? (\w+) (.+)$/.exec(m);
  if (item && field.startsWith(`${item[1]} `)) return `${field} ${item[2]}`;
  if (/^(must|is|are|can|cannot|should|needs?|has|have) /.test(m)) return `${field} ${m}`;
  if (/^at (most|least) /.test(m)) return `${field} must be ${m}`;
  if (/^[a-z"“]/.test(m)) {
    // An item's own problem says which item, unless it already does ("column "Phone" has no mapping").
    const numbered = /\d$/.test(field) || / of \w+ \d+$/.test(field);
    const noun = field.replace(/^the .+ of /, '').replace(/ \d+$/, '');
    return numbered && !m.startsWith(noun) ? `${m} (${field})` : m;
  }
  // zod's own wording ("Too small: expected…"), as issue-text words it for any field.
  const s = fieldSentence(field, { message: m, code }).replace(/\.$/, '');
  return s.startsWith(cap(field)) ? field + s.slice(field.length) : s;
}

/** One problem of a flow as one sentence naming its step or connection; others (`trigger`, `graph.nodes`) as issue-text words them. */
export function problemSentence(p: { path: string; message: string; code?: string }, graph: GraphLike): string {
  const parts = p.path.split('.');
  if (parts[0] === 'nodes' && parts[1]) return stop(`${cap(stepWords(parts[1], graph))}: ${problemText(parts.slice(2), p.message, p.code)}`);
  if (parts[0] === 'edges' && parts[1]) {
    const edge = (graph.edges ?? []).find((e) => e.id === parts[1]);
    const between =
      edge && typeof edge.source === 'string' && typeof edge.target === 'string'
        ? `the connection from ${stepWords(edge.source, graph)} to ${stepWords(edge.target, graph)}`
        : `the connection “${parts[1]}”`;
    return stop(`${cap(between)}: ${p.message.trim()}`);
  }
  return issueSentence(p);
}

/** Each problem with its sentence, and the node (or edge) its path names, for the canvas. */
export function flowDetails(problems: { path: string; message: string; code?: string }[], graph: GraphLike): FlowDetail[] {
  return problems.map((p) => {
    const [head, id] = p.path.split('.');
    return {
      path: p.path,
      message: p.message,
      sentence: problemSentence(p, graph),
      ...(head === 'nodes' && id ? { node_id: id } : {}),
      ...(head === 'edges' && id ? { edge_id: id } : {}),
    };
  });
}

/** The message of a flow's 422: what could not be done, then the first three problems as sentences. */
export function flowProblemsMessage(details: FlowDetail[], doing: string): string {
  const more = details.length - 3;
  return [
    `This flow cannot be ${doing}.`,
    ...details.slice(0, 3).map((d) => d.sentence),
    ...(more > 0 ? [`(${more} more problem${more > 1 ? 's' : ''}.)`] : []),
  ].join(' ');
}

/** Reads only what the wording needs from a graph as sent (anything at all). */
export function graphLike(raw: unknown): GraphLike {
  const g = (typeof raw === 'object' && raw !== null ? raw : {}) as { nodes?: unknown; edges?: unknown };
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : []);
  return { nodes: list(g.nodes), edges: list(g.edges) };
}

import { z } from 'zod';

/**
 * The browser's half of a connector's manifest: the flow node it offers. Zod only, no Node
 * imports: the portal bundles it (through connectors/catalogue.ts) to draw the palette, the canvas
 * and the forms, and the server checks graphs with the same schemas. The server's half (how the
 * node's data becomes the connector's config, the preview, the credential) is in each folder's
 * manifest.ts.
 */

/** A field the map step before a destination may fill. */
export type DestinationField = { name: string; required: boolean; description: string };
export type DestinationFields = {
  fields: DestinationField[];
  /** The destination takes any field (a webhook, Zapier, a generic CRM endpoint): `fields` are suggestions at most. */
  free: boolean;
};
export const FREE_FIELDS: DestinationFields = { fields: [], free: true };
export const destinationField = (name: string, description: string, required = false): DestinationField => ({ name, required, description });

/** A field the map step leaves empty although the destination needs it; `sub` is the path under the node (`['data', 'columns', 2]`). */
export type UnmappedField = { message: string; sub: (string | number)[] };

/**
 * One input of a node's form, for a connector without a panel of its own: the portal draws the
 * form from these. A `secret` is written, never read back: the server keeps it with the
 * destination's credentials and shows `<key>Hint` (a masked form) in its place.
 */
export type FormField = { key: string; label: string; hint?: string; placeholder?: string; secret?: boolean; optional?: boolean };

/** Set by the server on every destination node once saved: the connection (and destination) it became. */
export const savedAs = { connectionId: z.string().optional(), destinationId: z.string().optional() };

export type ConnectorNode<K extends string = string, D extends z.ZodType = z.ZodType> = {
  /** As flow graphs store it: persisted data and API, never renamed. */
  kind: K;
  /** The connector it becomes (destinations.type). */
  connector: string;
  /** Palette and canvas title: "Google Sheet". */
  label: string;
  /** One line under the palette item: what the node does, in the user's words. */
  hint: string;
  /** A glyph beside the palette item. */
  icon: string;
  /** The node in a sentence: "Google Sheet step". */
  words: string;
  /** What saving it makes, in a sentence: "Google Sheet destination". */
  madeWords: string;
  /** The node's data as the flow stores it (the editor checks it before saving, the server on write). */
  data: D;
  /** The data a new node starts with. */
  defaults(): Record<string, unknown>;
  /** One line on the canvas under the title: what it is set to do. Reads data as drawn, maybe invalid. */
  summary(data: Record<string, unknown>): string;
  /** What tells this node from others of its kind in a sentence (the sheet's name, the CRM), or null. */
  name?(data: Record<string, unknown>): string | null;
  /** The fields the map step before it fills (data as drawn, maybe invalid); absent: it takes any field. */
  fields?(data: Record<string, unknown>): DestinationFields;
  /** Query parameters of GET /flows/destination-fields standing for the node's data (`preset`, `columns`). */
  fieldsQuery?: z.ZodObject;
  /** Who the fields belong to, as the map panel says it: "The sheet". */
  fieldsOwner?: string;
  /**
   * The fields a map step must give it that `mapped` leaves empty. `envelope` are the keys every
   * delivery carries anyway (none for a source's requests); `where` names the map step in words.
   */
  unmapped?(data: z.output<D>, mapped: ReadonlySet<string>, envelope: ReadonlySet<string>, where: string): UnmappedField[];
  /** The columns a preview's output is a row of (a sheet), or null. */
  rowColumns?(data: Record<string, unknown>): string[] | null;
  /** Data keys the server takes but never stores in the graph nor reads back (credentials). */
  writeOnly?: readonly string[];
  /** Where a problem with a config key shows on the node: config key → data key. */
  configFields?: Readonly<Record<string, string>>;
  /** The form the portal draws when no panel of its own is registered (web/src/flow/NodePanel.tsx). */
  form?: readonly FormField[];
};

/** Keeps the literal kind and the data schema's type. */
export const defineNode = <const K extends string, D extends z.ZodType>(node: ConnectorNode<K, D>): ConnectorNode<K, D> => node;

/** `https://hooks.example.com/a` → `hooks.example.com`; null for anything that is not a URL. */
export function hostOf(url: unknown): string | null {
  try {
    return typeof url === 'string' && url ? new URL(url).host || null : null;
  } catch {
    return null;
  }
}

export const httpUrl = (empty: string) =>
  z
    .string()
    .trim()
    .min(1, empty)
    .max(2048)
    .pipe(z.url({ protocol: /^https?$/, message: 'use an http(s) URL' }));

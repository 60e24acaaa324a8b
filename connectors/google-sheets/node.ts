import { z } from 'zod';
import { defineNode, destinationField, savedAs, type DestinationFields } from '../node.ts';

/**
 * Appends a row per event to a Google Sheet, with the workspace's service account (Settings) unless
 * `credentialId` names another stored one. `columns` are the sheet's header: the map step upstream
 * must give each one a value.
 */
export const SheetsData = z
  .object({
    spreadsheetId: z.string().trim().min(1, "paste the spreadsheet's URL or ID").max(2048),
    sheetName: z.string().trim().min(1).max(100).default('Sheet1'),
    columns: z.array(z.string().trim().min(1, 'a column needs a name').max(200)).min(1, "add the sheet's columns").max(100),
    credentialId: z.string().max(64).optional(),
    ...savedAs,
  })
  .strict();
export type SheetsDataT = z.output<typeof SheetsData>;

/** A sheet's columns, in order, each required: a row needs a value for every column. */
export function sheetFields(columns: readonly string[]): DestinationFields {
  return { fields: columns.map((c) => destinationField(c, `Column "${c}" of the sheet`, true)), free: false };
}

const columnsOf = (d: Record<string, unknown>): string[] => (Array.isArray(d.columns) ? d.columns.map(String) : []);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
/** `columns=name,email` or repeated `columns=…`. */
const list = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean)
      : v,
  z.array(z.string().min(1).max(200)).max(100),
);

export const sheetsNode = defineNode({
  kind: 'sheets',
  connector: 'google-sheets',
  label: 'Google Sheet',
  hint: 'Add a row to a Google Sheet for each event',
  icon: '▦',
  words: 'Google Sheet step',
  madeWords: 'Google Sheet destination',
  data: SheetsData,
  defaults: () => ({ spreadsheetId: '', sheetName: 'Sheet1', columns: [] }),
  summary: (d) => (d.spreadsheetId ? `${String(d.sheetName || 'Sheet1')}, ${plural(columnsOf(d).length, 'column')}` : 'paste a spreadsheet'),
  name: (d) => (typeof d.sheetName === 'string' && d.sheetName.trim() ? d.sheetName.trim() : null),
  fields: (d) => sheetFields(columnsOf(d)),
  fieldsQuery: z.object({ columns: list.optional() }),
  fieldsOwner: 'The sheet',
  // Each column needs its mapping, unless every delivery carries it (an envelope key such as eventId).
  unmapped: (d, mapped, envelope, where) =>
    d.columns.flatMap((c, i) =>
      mapped.has(c) || envelope.has(c) ? [] : [{ message: `column "${c}" has no mapping: map a field to it in ${where}`, sub: ['data', 'columns', i] }],
    ),
  rowColumns: (d) => (Array.isArray(d.columns) ? d.columns.map(String) : null),
  configFields: { spreadsheetId: 'spreadsheetId', sheetName: 'sheetName', columns: 'columns', credential_id: 'credentialId' },
});

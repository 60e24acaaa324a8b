/** Google Sheets refuses a whole append when one cell holds more than this. */
export const MAX_CELL_CHARS = 50_000;

export type Cell = string | number | boolean;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A key as written first (field names may contain dots), then as a dotted path. */
function lookup(source: unknown, path: string): unknown {
  if (!isObject(source)) return undefined;
  if (Object.hasOwn(source, path)) return source[path];
  let at: unknown = source;
  for (const part of path.split('.')) {
    if (Array.isArray(at) && /^\d+$/.test(part)) at = at[Number(part)];
    else if (isObject(at) && Object.hasOwn(at, part)) at = at[part];
    else return undefined;
  }
  return at;
}

/** The flat body carries fields at the top; the nested envelope carries them under `data`. */
export function fieldValue(payload: unknown, path: string): unknown {
  const top = lookup(payload, path);
  return top !== undefined ? top : isObject(payload) ? lookup(payload.data, path) : undefined;
}

/**
 * Values are sent as USER_ENTERED so numbers and dates stay numbers and dates in the sheet. That
 * would also run `=IMPORTXML(…)` typed into a lead form, and turn `+15555550123` into a number;
 * a leading apostrophe makes Sheets keep such text as typed (and it is not shown).
 */
export function toCell(value: unknown): Cell {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return safe.length > MAX_CELL_CHARS ? `${safe.slice(0, MAX_CELL_CHARS - 1)}…` : safe;
}

export function buildRow(columns: readonly string[], payload: unknown): Cell[] {
  return columns.map((c) => toCell(fieldValue(payload, c)));
}

/** 0 → A, 25 → Z, 26 → AA. */
export function columnLetter(index: number): string {
  let n = index + 1;
  let out = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    out = String.fromCharCode(65 + r) + out;
    n = Math.floor((n - 1) / 26);
  }
  return out;
}

/** A1 notation quotes a tab name (doubling its apostrophes) so spaces and `!` stay part of it. */
export function a1(sheetName: string, cells: string): string {
  return `'${sheetName.replace(/'/g, "''")}'!${cells}`;
}

export type HeaderCheck = { kind: 'match' } | { kind: 'empty' } | { kind: 'drift'; message: string; differences: string[] };

/**
 * Compares row 1 with the configured columns. Cells to the right of the configured ones are the
 * owner's own (a "Status" or "Notes" column) and do not count as drift: our rows leave them blank.
 */
export function compareHeader(sheetName: string, columns: readonly string[], header: readonly unknown[]): HeaderCheck {
  const cells = header.map((c) => (c === null || c === undefined ? '' : String(c).trim()));
  if (cells.every((c) => c === '')) return { kind: 'empty' };
  const differences: string[] = [];
  columns.forEach((expected, i) => {
    const actual = cells[i] ?? '';
    if (actual === expected) return;
    const movedTo = cells.indexOf(expected);
    const where = movedTo >= 0 ? `; "${expected}" is in column ${columnLetter(movedTo)}` : '';
    differences.push(
      actual === ''
        ? `column ${columnLetter(i)} is empty, expected "${expected}"${where}`
        : `column ${columnLetter(i)} is "${actual}", expected "${expected}"${where}`,
    );
  });
  if (differences.length === 0) return { kind: 'match' };
  const message =
    `The header row of sheet "${sheetName}" no longer matches the destination's columns: ${differences.join('; ')}. ` +
    'Restore the header or update the columns; no rows are written until they match.';
  return { kind: 'drift', message, differences };
}

import { JsonView } from './JsonView.tsx';

/**
 * The connector (connectors/google-sheets/row.ts, toCell) puts an apostrophe before a text starting
 * with = + - @ so Sheets keeps it as text: `'+1555…` stays a phone number, `=IMPORTXML(…)` no formula.
 */
const TEXT_GUARD = /^'[=+\-@]/;

/** The cells of a row when `value` is one (an array of scalars) with a cell for every column. */
export function rowCells(value: unknown, columns: readonly string[] | null | undefined): (string | number | boolean | null)[] | null {
  if (!columns?.length || !Array.isArray(value) || value.length !== columns.length) return null;
  return value.every((c) => c === null || ['string', 'number', 'boolean'].includes(typeof c)) ? (value as (string | number | boolean | null)[]) : null;
}

/**
 * A Google Sheet row as the connector sends it: each column with its cell, and a word on the cells
 * Sheets will show without their leading apostrophe. Anything that is not such a row (no columns
 * known, another shape) shows as JSON.
 */
export function SheetRow({ value, columns, testId }: { value: unknown; columns: readonly string[] | null | undefined; testId?: string }) {
  const cells = rowCells(value, columns);
  if (!cells || !columns) return <JsonView value={value} />;
  const guarded = columns.filter((_, i) => typeof cells[i] === 'string' && TEXT_GUARD.test(cells[i] as string));
  return (
    <div className="sheet-row" data-testid={testId}>
      <table>
        <tbody>
          {columns.map((c, i) => (
            <tr key={`${i}:${c}`}>
              <th scope="row">{c}</th>
              <td className="mono" data-testid={`sheet-cell-${c}`} title={String(cells[i] ?? '')}>
                {cells[i] === '' || cells[i] === null ? <span className="muted">(empty)</span> : String(cells[i])}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {guarded.length > 0 && (
        <p
          className="sheet-row-hint"
          data-testid="sheet-row-hint"
          title="The apostrophe keeps the value as text: Sheets would otherwise read +1555… as a number or =… as a formula."
        >
          {guarded.join(', ')}: shown in Sheets without the leading <code>'</code>
        </p>
      )}
    </div>
  );
}

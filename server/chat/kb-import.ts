import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { AppError, zodDetails } from '../core/errors.ts';
import { EntryIn, type EntryInT, MAX_ENTRIES_PER_CHATBOT } from './chatbots.service.ts';

/**
 * `POST /chatbots/:id/entries/import` takes JSON (the API refuses other bodies): a bare array of
 * entries, `{entries: [...]}`, or `{csv: "question,answer,tags\n..."}` — the text of a CSV file
 * with a header row, tags separated by `;`, `|` or `,` inside their cell.
 */
export const ImportIn = z.union([
  z.array(z.unknown()).max(MAX_ENTRIES_PER_CHATBOT),
  z
    .object({
      entries: z.array(z.unknown()).max(MAX_ENTRIES_PER_CHATBOT).optional(),
      csv: z.string().max(5_000_000).optional(),
      /** Optional, as a check: says which of entries / csv is given. */
      format: z.enum(['json', 'csv']).optional(),
      replace: z.boolean().default(false),
    })
    .strict()
    .refine((b) => (b.entries === undefined) !== (b.csv === undefined), {
      message: 'give either entries (a JSON array) or csv (the text of a CSV file)',
      path: ['entries'],
    })
    .refine((b) => !b.format || (b.format === 'csv') === (b.csv !== undefined), {
      message: 'format csv goes with csv, format json with entries',
      path: ['format'],
    }),
]);

export type ImportPlan = { entries: EntryInT[]; replace: boolean };

const HEADER = ['question', 'answer', 'tags'];

function checkRows(rows: unknown[], where: string, firstIndex = 0): EntryInT[] {
  const problems: ReturnType<typeof zodDetails> = [];
  const out: EntryInT[] = [];
  rows.forEach((row, i) => {
    const r = EntryIn.safeParse(row);
    if (r.success) out.push(r.data);
    else problems.push(...zodDetails(r.error, `${where}.${i + firstIndex}`));
  });
  if (problems.length) {
    throw new AppError(
      422,
      'INVALID_ENTRIES',
      `${problems.length} problem(s) in the entries; nothing was imported. First: ${problems[0].path}: ${problems[0].message}`,
      problems.slice(0, 100),
    );
  }
  return out;
}

function csvRows(text: string): Record<string, unknown>[] {
  let records: string[][];
  try {
    records = parseCsv(text, { bom: true, skip_empty_lines: true, relax_column_count: false, trim: true }) as string[][];
  } catch (err) {
    const e = err as { message: string; lines?: number };
    throw new AppError(422, 'INVALID_CSV', `The CSV could not be read: ${e.message}`, [
      { path: 'body.csv', message: e.message, ...(e.lines ? { line: e.lines } : {}) },
    ]);
  }
  if (!records.length)
    throw new AppError(422, 'INVALID_CSV', 'The CSV is empty: it needs a header row question,answer,tags.', [{ path: 'body.csv', message: 'empty' }]);
  const header = records[0].map((h) => h.toLowerCase());
  const missing = HEADER.slice(0, 2).filter((h) => !header.includes(h));
  const unknown = header.filter((h) => !HEADER.includes(h));
  if (missing.length || unknown.length) {
    const message = `the header row must name the columns question, answer and optionally tags${missing.length ? `; missing: ${missing.join(', ')}` : ''}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`;
    throw new AppError(422, 'INVALID_CSV', `The CSV header is not right: ${message}.`, [{ path: 'body.csv.0', message }]);
  }
  if (records.length - 1 > MAX_ENTRIES_PER_CHATBOT) {
    throw new AppError(422, 'INVALID_CSV', `A CSV import holds at most ${MAX_ENTRIES_PER_CHATBOT} rows.`, [{ path: 'body.csv', message: 'too many rows' }]);
  }
  return records.slice(1).map((cells) => {
    const row: Record<string, unknown> = {};
    header.forEach((h, i) => {
      row[h] =
        h === 'tags'
          ? cells[i]
              .split(/[;|,]/)
              .map((t) => t.trim())
              .filter(Boolean)
          : cells[i];
    });
    return row;
  });
}

/** Problems are named by row: `body.3.answer` for JSON, `body.csv.3.answer` for the 3rd data row of a CSV (1-based after the header). */
export function planImport(input: z.output<typeof ImportIn>): ImportPlan {
  if (Array.isArray(input)) return { entries: checkRows(input, 'body'), replace: false };
  if (input.entries) return { entries: checkRows(input.entries, 'body.entries'), replace: input.replace };
  // Counted from 1, as a spreadsheet user counts data rows after the header.
  return { entries: checkRows(csvRows(input.csv ?? ''), 'body.csv', 1), replace: input.replace };
}

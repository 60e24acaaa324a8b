/**
 * Validation issues as sentences a person reads ("The name can only contain letters, digits…"),
 * not `body.name: may contain…`. Pure and dependency-free: the error middleware writes the
 * response's message with it and the portal's ErrorBox words each detail the same way. The JSON
 * details keep their `path` and `code` for programs.
 */

export type IssueLike = { path?: string; message: string; code?: string };

/** Field names said in plain words; anything else is its last segment with `_`/camelCase split. */
const FIELD_WORDS: Record<string, string> = {
  name: 'the name',
  url: 'the URL',
  email: 'the e-mail address',
  password: 'the password',
  description: 'the description',
  events: 'the event types',
  eventType: 'the event type',
  event_type: 'the event type',
  graph: 'the flow',
  config: 'the settings',
  source_id: 'the source',
  destination_id: 'the destination',
  http_method: 'the HTTP method',
  timeout_ms: 'the timeout',
  max_concurrency: 'the number of deliveries at once',
  spreadsheetId: 'the spreadsheet',
  sheetName: 'the sheet name',
  expression: 'the expression',
  mappings: 'the field mappings',
  conditions: 'the conditions',
  secret: 'the secret',
  scopes: 'the permissions',
  code: 'the code',
};

const words = (key: string) =>
  key
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();

/** `body.config.url` → "the URL"; `body.mappings.1.to` → "the to of item 2 of the field mappings". */
export function fieldWords(path: string | undefined): string {
  const parts = (path ?? '').split('.').filter((p) => p && p !== '(root)');
  if (['body', 'query', 'params'].includes(parts[0] ?? '')) parts.shift();
  if (!parts.length) return 'the request';
  const last = parts[parts.length - 1];
  if (/^\d+$/.test(last)) {
    const list = parts
      .slice(0, -1)
      .filter((p) => !/^\d+$/.test(p))
      .pop();
    return `item ${Number(last) + 1} of ${list ? (FIELD_WORDS[list] ?? `the ${words(list)}`) : 'the list'}`;
  }
  const index = parts.slice(0, -1).findLast((p) => /^\d+$/.test(p));
  const listName = index !== undefined ? parts[parts.lastIndexOf(index) - 1] : undefined;
  const field = FIELD_WORDS[last] ?? `the ${words(last)}`;
  return index !== undefined && listName ? `${field} of item ${Number(index) + 1} of ${FIELD_WORDS[listName] ?? `the ${words(listName)}`}` : field;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
/** "is" or "are": "the columns are missing", "the status is missing". */
const be = (field: string) => (/[^s]s$/.test(field) && !/(status|alias|canvas|address|access)$/.test(field) ? 'are' : 'is');
const stop = (s: string) => (/[.!?]$/.test(s) ? s : `${s}.`);
const KINDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  date: 'a date',
};

/** One issue as one sentence that names its field in plain words. */
export const issueSentence = (issue: IssueLike): string => fieldSentence(fieldWords(issue.path), issue);

/** One issue as one sentence about `field`, already in words ("the URL", "column 2"): flow steps name their own fields. */
export function fieldSentence(field: string, issue: Pick<IssueLike, 'message' | 'code'>): string {
  const Field = cap(field);
  const m = issue.message.trim();
  let x: RegExpExecArray | null;
  if (issue.code === 'unrecognized_keys' || /^Unrecognized key/.test(m)) return `${Field} ${be(field)} not something this accepts: remove it.`;
  if ((x = /^Invalid input: expected (\w+), received (\w+)/.exec(m))) {
    return x[2] === 'undefined' ? `${Field} ${be(field)} missing.` : `${Field} must be ${KINDS[x[1]] ?? x[1]}, not ${KINDS[x[2]] ?? x[2]}.`;
  }
  if ((x = /^Too small: expected (\w+) to have >=?(\d+) (character|item)/.exec(m))) {
    if (x[2] === '1') return x[3] === 'character' ? `${Field} ${be(field)} empty: fill it in.` : `${Field} needs at least one entry.`;
    return `${Field} must have at least ${x[2]} ${x[3]}s.`;
  }
  if ((x = /^Too big: expected (\w+) to have <=?(\d+) (character|item)/.exec(m))) return `${Field} can have at most ${x[2]} ${x[3]}s.`;
  if ((x = /^Too small: expected \w+ to be >=?(-?[\d.]+)/.exec(m))) return `${Field} must be at least ${x[1]}.`;
  if ((x = /^Too big: expected \w+ to be <=?(-?[\d.]+)/.exec(m))) return `${Field} must be at most ${x[1]}.`;
  if ((x = /^Invalid option: expected one of (.+)$/.exec(m))) return `${Field} must be one of ${x[1].replace(/"/g, '').split('|').join(', ')}.`;
  if (/^Invalid (URL|url)/.test(m)) return `${Field} is not a valid web address (URL).`;
  if (/^Invalid email/.test(m)) return `${Field} is not a valid e-mail address.`;
  if (/^Invalid input$/.test(m)) return `${Field} ${be(field)} not valid.`;
  // The project's own messages are written lower-case, to follow a field's name.
  if ((x = /^may contain (.+)$/.exec(m))) return stop(`${Field} can only contain ${x[1]}`);
  if (/^(must|is|are|can|cannot|should|needs?|has|have) /.test(m)) return stop(`${Field} ${m}`);
  if (/^[a-z]/.test(m)) return stop(`${cap(field)}: ${m}`);
  return stop(m);
}

/** The message of a validation error: its first three issues as sentences. */
export function issuesMessage(issues: IssueLike[]): string {
  const shown = issues.slice(0, 3).map(issueSentence);
  const more = issues.length - shown.length;
  return [...shown, ...(more > 0 ? [`(${more} more problem${more > 1 ? 's' : ''}.)`] : [])].join(' ');
}

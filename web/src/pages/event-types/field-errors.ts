import { ApiError } from '../../api.ts';

export type FieldErrors<F extends string> = { fields: Partial<Record<F, string[]>>; general: string | null };

/**
 * Spreads the API's error over a form: each detail goes to the field its path names (`body.name`,
 * `schema.properties.email.type`, `sample.email`), with the rest of the path kept so the user
 * sees where inside a JSON document the problem is. Whatever names no field stays general.
 */
export function fieldErrorsOf<F extends string>(err: unknown, fields: readonly F[]): FieldErrors<F> {
  const out: FieldErrors<F> = { fields: {}, general: null };
  if (!(err instanceof ApiError)) {
    out.general = err instanceof Error ? err.message : String(err);
    return out;
  }
  const unplaced: string[] = [];
  for (const d of err.details) {
    const segments = (d.path ?? '').split('.').filter(Boolean);
    if (segments[0] === 'body') segments.shift();
    const field = segments[0] as F | undefined;
    if (field && fields.includes(field)) {
      const inner = segments.slice(1).join('.');
      (out.fields[field] ??= []).push(inner ? `${inner}: ${d.message}` : d.message);
    } else {
      unplaced.push(d.path ? `${d.path}: ${d.message}` : d.message);
    }
  }
  // A name that is taken (409) names no path; it is still the name field's problem.
  if (err.status === 409 && fields.includes('name' as F) && !out.fields['name' as F]) out.fields['name' as F] = [err.message];
  // The message already summarises the details; it is shown whenever some of them have no field to sit by.
  out.general = unplaced.length > 0 || Object.keys(out.fields).length === 0 ? err.message : null;
  return out;
}

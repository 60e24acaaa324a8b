import { hubspotProperties } from '../../connectors/crm-relay/hubspot.ts';
import { leadEmail, leadFields } from '../../connectors/crm-relay/lead.ts';
import { buildRow } from '../../connectors/google-sheets/row.ts';
import { zapierPayload } from '../../connectors/zapier/index.ts';

/** What a test run shows for a destination: the body its connector would send, or why it would refuse. */
export type Rendered = { ok: boolean; output?: unknown; message?: string };

/** The parts of a destination's config that decide its body (no credentials needed). */
export type RenderConfig = { columns?: string[]; preset?: string; property_map?: Record<string, string> };

/**
 * The body one connector would send for a shaped payload, through the connectors' own builders
 * (buildRow, hubspotProperties, zapierPayload). Pipedrive builds its person inside its delivery,
 * so the test shows the lead fields it reads.
 */
export function renderBody(connectorId: string, config: RenderConfig, payload: unknown, eventId: string): Rendered {
  switch (connectorId) {
    case 'google-sheets': {
      const columns = config.columns ?? [];
      const row = buildRow(columns, payload);
      const empty = columns.filter((_, i) => row[i] === '');
      if (row.every((c) => c === '')) return { ok: false, output: row, message: 'None of the columns is a field of this event, so the sheet would refuse the row: map a field to each column.' };
      return { ok: true, output: row, ...(empty.length ? { message: `No value for ${empty.map((c) => `"${c}"`).join(', ')}: those cells stay empty.` } : {}) };
    }
    case 'crm-relay': {
      if (config.preset === 'generic') return { ok: true, output: payload };
      const fields = leadFields(payload);
      if (!fields) return { ok: false, message: 'The event is not a JSON object, so there is no lead to send.' };
      if (config.preset === 'hubspot') {
        const email = leadEmail(fields);
        if (!email) return { ok: false, output: fields, message: `HubSpot needs a valid email to find or create the contact (email: ${JSON.stringify(fields.email ?? null)}): map one.` };
        return { ok: true, output: { properties: hubspotProperties(fields, email, config.property_map ?? {}) } };
      }
      return { ok: true, output: fields, message: 'Pipedrive makes a person of these fields (name, email, phone and the mapped ones).' };
    }
    case 'zapier':
      return { ok: true, output: zapierPayload(payload, eventId) };
    default:
      return { ok: true, output: payload };
  }
}

/**
 * The fields each destination kind of a flow takes, for the map panel and for the checks on save.
 * Shared with the portal (no server imports): Vite bundles this file.
 */
export type DestinationField = { name: string; required: boolean; description: string };
export type DestinationFields = {
  fields: DestinationField[];
  /** The destination takes any field (a webhook, Zapier, a generic CRM endpoint): `fields` are suggestions at most. */
  free: boolean;
};

const field = (name: string, description: string, required = false): DestinationField => ({ name, required, description });

/** HubSpot contact properties a lead fills; the connector always sends `email` (HubSpot matches contacts on it). */
const HUBSPOT: DestinationField[] = [
  field('email', 'HubSpot finds or creates the contact by this address', true),
  field('name', 'Full name, split into first and last name'),
  field('firstname', 'First name'),
  field('lastname', 'Last name'),
  field('phone', 'Phone number'),
  field('company', 'Company name'),
  field('website', 'Company website'),
  field('jobtitle', 'Job title'),
  field('city', 'City'),
  field('message', 'Message'),
  field('lifecyclestage', 'Lifecycle stage, such as lead'),
  field('hs_lead_status', 'Lead status, such as NEW'),
];

/** Pipedrive person fields; a person needs a name, and the email or phone stands in when there is none. */
const PIPEDRIVE: DestinationField[] = [
  field('name', 'The person\'s name (the email or phone is used when it is missing)'),
  field('email', 'Email address; Pipedrive looks the person up by it first'),
  field('phone', 'Phone number'),
];

/** Fields the connector reads itself; any other mapped field goes through the CRM's property map as named. */
export const CRM_BUILT_IN: Record<'hubspot' | 'pipedrive', readonly string[]> = { hubspot: ['email', 'phone', 'name'], pipedrive: ['name', 'email', 'phone'] };

export function crmFields(preset: 'hubspot' | 'pipedrive' | 'generic'): DestinationFields {
  if (preset === 'hubspot') return { fields: HUBSPOT, free: false };
  if (preset === 'pipedrive') return { fields: PIPEDRIVE, free: true };
  return { fields: [], free: true };
}

/** A sheet's columns, in order, each required: a row needs a value for every column. */
export function sheetFields(columns: readonly string[]): DestinationFields {
  return { fields: columns.map((c) => field(c, `Column "${c}" of the sheet`, true)), free: false };
}

/** Keys every delivery carries next to the mapped fields, so a column may name them without a mapping. */
export const ENVELOPE_FIELDS: Record<'flat' | 'nested', readonly string[]> = {
  flat: ['eventType', 'eventTimestamp', 'eventId', 'customerId', 'chatbotId', 'conversationId'],
  nested: ['event', 'timestamp', 'workspace_id', 'id'],
};

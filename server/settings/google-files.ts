import { createHash } from 'node:crypto';
import { z } from 'zod';
import { oauthClient, type OAuthClient } from '../../connectors/google-sheets/client.ts';
import { SHEETS_ROOT_URL, type GoogleOAuthGrant } from '../../connectors/google-sheets/config.ts';
import { a1 } from '../../connectors/google-sheets/row.ts';
import { AppError } from '../core/errors.ts';
import type { Deps } from '../deps.ts';
import { apiDeliveryContext } from '../delivery/deliver-now.ts';
import type { CredentialsService } from './credentials.service.ts';
import { googleFailure, NOT_CONFIGURED } from './google-oauth.service.ts';

const DRIVE_ROOT_URL = 'https://www.googleapis.com/';
const SPREADSHEET_MIME = 'application/vnd.google-apps.spreadsheet';
const MAX_FILES = 100;

export const SpreadsheetsQuery = z.object({ q: z.string().trim().max(200).optional() });
/** A spreadsheet id as Drive and Sheets spell them. */
export const SpreadsheetIdParam = z.string().regex(/^[A-Za-z0-9_-]{10,200}$/, 'must be a spreadsheet id');
export const ColumnsQuery = z.object({
  sheet: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[^\x00-\x1f]*$/, 'must not contain control characters'),
});

export type SpreadsheetOut = { id: string; name: string; modified_at: string | null; owner: string | null };
export type SheetTabOut = { title: string; index: number };

type DriveFiles = { files?: { id?: string; name?: string; modifiedTime?: string; owners?: { emailAddress?: string }[] }[] };
type SpreadsheetMeta = { properties?: { title?: string }; sheets?: { properties?: { title?: string; index?: number } }[] };
type ValueRange = { values?: unknown[][] };

/** One OAuth client per account and process: its access token is good for an hour, not one listing. */
const clients = new Map<string, OAuthClient>();

/**
 * What the portal's pickers show of a signed-in Google account: its spreadsheets (Drive
 * files.list, names only), a spreadsheet's tabs (Sheets spreadsheets.get, sheets.properties) and a
 * tab's header row, so a sheet that already has columns fills them in. Each answer is read with
 * the account's access token, refreshed with its refresh token; neither ever leaves the server.
 */
export function googleFilesService(deps: Deps, credentials: CredentialsService) {
  const driveRoot = deps.config.vendorUrls.googleDrive ?? DRIVE_ROOT_URL;
  const sheetsRoot = deps.config.vendorUrls.googleSheets ?? SHEETS_ROOT_URL;

  const clientFor = (grant: GoogleOAuthGrant): OAuthClient => {
    const c = deps.config.googleOAuth;
    if (!c) throw new AppError(409, 'GOOGLE_OAUTH_NOT_CONFIGURED', NOT_CONFIGURED);
    const key = createHash('sha256').update([grant.refresh_token, c.clientId, c.tokenUrl].join('\0')).digest('base64url');
    let client = clients.get(key);
    if (!client) {
      client = oauthClient(apiDeliveryContext(deps).dispatcher, { clientId: c.clientId, clientSecret: c.clientSecret, tokenUrl: c.tokenUrl }, grant);
      if (clients.size >= 500) clients.delete(clients.keys().next().value as string);
      clients.set(key, client);
    }
    return client;
  };

  const get = async <T>(ws: string, credentialId: string, url: string, params: Record<string, string>): Promise<T> => {
    const grant = await credentials.googleGrant(ws, credentialId);
    const client = clientFor(grant);
    try {
      const res = await client.request<T>({ url, params });
      return res.data;
    } catch (err) {
      throw explain(err, grant, url === `${driveRoot}drive/v3/files`);
    }
  };

  /** The failure a user can act on; the token endpoint's answers first (a revoked account). */
  const explain = (err: unknown, grant: GoogleOAuthGrant, drive: boolean): AppError => {
    const f = googleFailure(err);
    const configUrl = String((err as { config?: { url?: unknown } })?.config?.url ?? '');
    const c = deps.config.googleOAuth;
    if (c && configUrl.startsWith(c.tokenUrl)) {
      if (f.status !== null && f.status < 500) {
        return new AppError(409, 'GOOGLE_ACCESS_REVOKED', `Google no longer accepts the sign-in of ${grant.email} (${f.error}); sign in with Google again.`);
      }
      return new AppError(502, 'GOOGLE_UNAVAILABLE', `Google's token endpoint did not answer (${f.error}); try again shortly.`);
    }
    if (f.status === 401) return new AppError(409, 'GOOGLE_ACCESS_REVOKED', `Google did not accept the access of ${grant.email}; sign in with Google again.`);
    if (f.status === 403) {
      return new AppError(
        409,
        'GOOGLE_PERMISSION',
        drive
          ? `Google did not let Wirehub list the spreadsheets of ${grant.email} (${f.error}); sign in again and allow “See information about your Google Drive files”, or paste the spreadsheet's address.`
          : `${grant.email} cannot open this spreadsheet (${f.error}).`,
      );
    }
    if (f.status === 404) return new AppError(404, 'NOT_FOUND', `The spreadsheet was not found, or ${grant.email} cannot see it.`);
    if (f.status === 400) return new AppError(422, 'GOOGLE_BAD_REQUEST', `Google refused the request: ${f.error}`);
    return new AppError(502, 'GOOGLE_UNAVAILABLE', `Google did not answer as expected (${f.status ?? f.error}); try again shortly.`);
  };

  return {
    /** The account's spreadsheets, most recently changed first; `q` narrows by name. */
    async spreadsheets(ws: string, credentialId: string, q?: string): Promise<SpreadsheetOut[]> {
      const filters = [`mimeType='${SPREADSHEET_MIME}'`, 'trashed=false'];
      // Drive's query language quotes with ' and escapes \ and ' with a backslash.
      if (q) filters.push(`name contains '${q.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
      const data = await get<DriveFiles>(ws, credentialId, `${driveRoot}drive/v3/files`, {
        q: filters.join(' and '),
        orderBy: 'modifiedTime desc',
        pageSize: String(MAX_FILES),
        fields: 'files(id,name,modifiedTime,owners(emailAddress))',
        supportsAllDrives: 'true',
        includeItemsFromAllDrives: 'true',
      });
      return (data.files ?? [])
        .filter((f): f is typeof f & { id: string } => typeof f.id === 'string')
        .map((f) => ({ id: f.id, name: f.name ?? f.id, modified_at: f.modifiedTime ?? null, owner: f.owners?.[0]?.emailAddress ?? null }));
    },

    /** A spreadsheet's title and tabs, in the order Sheets shows them. */
    async sheets(ws: string, credentialId: string, spreadsheetId: string): Promise<{ id: string; title: string; sheets: SheetTabOut[] }> {
      const data = await get<SpreadsheetMeta>(ws, credentialId, `${sheetsRoot}v4/spreadsheets/${encodeURIComponent(spreadsheetId)}`, {
        fields: 'properties.title,sheets.properties(title,index)',
      });
      const sheets = (data.sheets ?? [])
        .map((s, i) => ({ title: s.properties?.title ?? '', index: s.properties?.index ?? i }))
        .filter((s) => s.title !== '')
        .sort((a, b) => a.index - b.index);
      return { id: spreadsheetId, title: data.properties?.title ?? spreadsheetId, sheets };
    },

    /** The tab's header row (row 1), trailing blanks dropped: an empty sheet has none. */
    async columns(ws: string, credentialId: string, spreadsheetId: string, sheet: string): Promise<{ sheet: string; columns: string[] }> {
      const range = a1(sheet, '1:1');
      const data = await get<ValueRange>(
        ws,
        credentialId,
        `${sheetsRoot}v4/spreadsheets/${encodeURIComponent(spreadsheetId)}/values/${encodeURIComponent(range)}`,
        { majorDimension: 'ROWS' },
      );
      const row = (data.values?.[0] ?? []).map((v) => (v === null || v === undefined ? '' : String(v).trim()));
      while (row.length && row[row.length - 1] === '') row.pop();
      return { sheet, columns: row };
    },
  };
}

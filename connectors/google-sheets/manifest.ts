import { defineManifest } from '../manifest.ts';
import { googleSheetsConnector } from './index.ts';
import { sheetsNode } from './node.ts';
import { buildRow } from './row.ts';

export const googleSheetsManifest = defineManifest({
  connector: googleSheetsConnector,
  node: {
    spec: sheetsNode,
    // The workspace's newest Google credential unless the node names one; the Sheets API root is the operator's.
    toConfig: (d, ctx) => ({
      credential_id: d.credentialId ?? 'default',
      spreadsheetId: d.spreadsheetId,
      sheetName: d.sheetName,
      columns: d.columns,
      ...(ctx.vendorUrls.googleSheets ? { api_root_url: ctx.vendorUrls.googleSheets } : {}),
    }),
    fromConfig: (c) => ({ spreadsheetId: String(c.spreadsheetId), sheetName: String(c.sheetName), columns: c.columns as string[] }),
  },
  credential: () => ({ kinds: ['google-service-account', 'google-oauth'], fields: { 'google-service-account': 'credentials', 'google-oauth': 'oauth' } }),
  preview: (config, { payload }) => {
    const columns = Array.isArray(config.columns) ? (config.columns as string[]) : [];
    const row = buildRow(columns, payload);
    const empty = columns.filter((_, i) => row[i] === '');
    if (row.every((c) => c === ''))
      return {
        ok: false,
        output: row,
        message: 'None of the columns is a field of this event, so the sheet would refuse the row: map a field to each column.',
      };
    return { ok: true, output: row, ...(empty.length ? { message: `No value for ${empty.map((c) => `"${c}"`).join(', ')}: those cells stay empty.` } : {}) };
  },
});

/**
 * The operator's command line, on the database the environment names (as `npm start` would open
 * it): `node --import tsx server/admin.ts quota …`. A running hub reads a change within a few
 * seconds. The embedded database opens in one process at a time: stop Wirehub first, or use the
 * operator API (WIREHUB_OPERATOR_TOKEN) while it runs.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './core/logger.ts';
import { ID_PATTERN } from './core/ids.ts';
import { openDatabase } from './db/database.ts';
import { QuotaPatch, quotasService, type TeamQuotaOut } from './operator/quotas.service.ts';

const USAGE = `Usage:
  node --import tsx server/admin.ts quota list                 teams with a quota, and their use this month
  node --import tsx server/admin.ts quota get <team id>
  node --import tsx server/admin.ts quota set <team id> [--webhooks N|none] [--events-per-month N|none]

  --webhooks N           at most N webhooks (none: the hub's WIREHUB_MAX_WEBHOOKS)
  --events-per-month N   at most N events taken in per calendar month, UTC (none: no limit)
  --json                 print JSON instead of text`;

class UsageError extends Error {}

/** `N`, or `none` for no quota. */
function limit(value: string | undefined, flag: string): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'none') return null;
  if (!/^\d+$/.test(value.replace(/[_,]/g, ''))) throw new UsageError(`${flag} takes a whole number or "none" (not "${value}")`);
  return Number(value.replace(/[_,]/g, ''));
}

const count = (n: number) => n.toLocaleString('en-US');

function describe(q: TeamQuotaOut): string {
  const w = q.webhooks;
  const e = q.events_per_month;
  return [
    `${q.team_id} (${q.name})`,
    `  webhooks:          ${count(w.used)} of ${w.max === null ? `${count(w.hub_max)} (no quota: the hub's WIREHUB_MAX_WEBHOOKS)` : count(w.max)}`,
    `  events per month:  ${count(e.used)} of ${e.max === null ? 'no limit' : count(e.max)} since ${e.month_start}, resets ${e.resets_at}`,
  ].join('\n');
}

export async function admin(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { webhooks: { type: 'string' }, 'events-per-month': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    throw new UsageError(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const [area, action, team, ...extra] = positionals;
  if (values.help || area !== 'quota' || !['list', 'get', 'set'].includes(action ?? '') || extra.length) throw new UsageError(USAGE);
  if (action !== 'list' && !(team && ID_PATTERN.test(team) && team.startsWith('tm_')))
    throw new UsageError(`Give the team's id (tm_…), as GET /api/v1/teams or the portal's Team page shows it.\n\n${USAGE}`);
  if (action === 'set' && values.webhooks === undefined && values['events-per-month'] === undefined)
    throw new UsageError(`Give --webhooks, --events-per-month or both.\n\n${USAGE}`);
  const patch =
    action === 'set'
      ? QuotaPatch.safeParse({
          ...(values.webhooks !== undefined ? { webhooks: limit(values.webhooks, '--webhooks') } : {}),
          ...(values['events-per-month'] !== undefined ? { events_per_month: limit(values['events-per-month'], '--events-per-month') } : {}),
        })
      : null;
  if (patch && !patch.success) throw new UsageError(`${patch.error.issues.map((i) => `${i.path.join('.') || 'quota'}: ${i.message}`).join('\n')}\n\n${USAGE}`);

  const config = loadConfig(env);
  const database = await openDatabase(config, createLogger('warn'));
  try {
    const quotas = quotasService({ db: database.db, config });
    const out = action === 'list' ? await quotas.list() : action === 'get' ? await quotas.get(team) : await quotas.set(team, patch!.data!);
    if (values.json) return JSON.stringify(out, null, 2);
    if (Array.isArray(out)) return out.length ? out.map(describe).join('\n\n') : 'No team has a quota.';
    return describe(out);
  } finally {
    await database.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  admin(process.argv.slice(2)).then(
    (text) => console.log(text),
    (err: unknown) => {
      // A usage mistake, a bad environment, a team not found, a database in use: its message says it.
      console.error(err instanceof Error ? err.message : err);
      process.exit(err instanceof UsageError || err instanceof ConfigError ? 2 : 1);
    },
  );
}

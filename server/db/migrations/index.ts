import { type Kysely, type Migration, Migrator } from 'kysely';
import foundation from './001-foundation.ts';
import eventCatalogue from './002-event-catalogue.ts';
import connectors from './003-connectors.ts';
import flows from './004-flows.ts';
import rules from './005-rules.ts';
import bulkOperations from './006-bulk-operations.ts';
import credentials from './007-credentials.ts';
import flowStats from './008-flow-stats.ts';
import chat from './009-chat.ts';
import transformations from './010-transformations.ts';
import teams from './011-teams.ts';
import mockApi from './012-mock-api.ts';
import metricsRollup from './013-metrics-rollup.ts';
import emailVerification from './014-email-verification.ts';
import poisonEvents from './015-poison-events.ts';
import destinationIsolation from './016-destination-isolation.ts';
import logSummaries from './017-log-summaries.ts';
import dashboardMetrics from './018-dashboard-metrics.ts';
import googleOauth from './019-google-oauth.ts';
import ignoredStep from './020-ignored-step.ts';
import deliveryWriteCosts from './021-delivery-write-costs.ts';
import teamRetention from './022-team-retention.ts';
import pruningKeepsCounts from './023-pruning-keeps-counts.ts';
import teamQuotas from './024-team-quotas.ts';
import tracesAndAlerts from './025-traces-and-alerts.ts';

// Kysely records each name in wirehub_migrations and runs, in name order, those it has not recorded:
// a released name never changes, and a new migration takes the next number (its file the same).
const migrations: Record<string, Migration> = {
  '001_foundation': foundation,
  '002_event_catalogue': eventCatalogue,
  '003_connectors': connectors,
  '004_flows': flows,
  '005_rules': rules,
  '006_bulk_operations': bulkOperations,
  '007_credentials': credentials,
  '008_flow_stats': flowStats,
  '009_chat': chat,
  '010_transformations': transformations,
  '011_teams': teams,
  '012_mock_api': mockApi,
  '013_metrics_rollup': metricsRollup,
  '014_email_verification': emailVerification,
  '015_poison_events': poisonEvents,
  '016_destination_isolation': destinationIsolation,
  '017_log_summaries': logSummaries,
  '018_dashboard_metrics': dashboardMetrics,
  '019_google_oauth': googleOauth,
  '020_ignored_step': ignoredStep,
  '021_delivery_write_costs': deliveryWriteCosts,
  '022_team_retention': teamRetention,
  '023_pruning_keeps_counts': pruningKeepsCounts,
  '024_team_quotas': teamQuotas,
  '025_traces_and_alerts': tracesAndAlerts,
};

// biome-ignore lint/suspicious/noExplicitAny: migrations run against every past shape of the schema, not today's DB type.
export async function migrateToLatest(db: Kysely<any>, schema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'wirehub_migrations',
    migrationLockTableName: 'wirehub_migrations_lock',
    // Without it Kysely looks for its tables in every schema and may find another app's.
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}

import { useMemo, useState, type ReactNode } from 'react';
import type { NodeKind } from '../../../../shared/flow-graph.ts';
import type {
  ConnectionTest,
  CredentialSummary,
  DestinationField,
  DestinationSummary,
  EventType,
  NodeTestResult,
  SourceSample,
  SourceSummary,
} from '../flow-api.ts';
import type { SourceActions } from '../useSourceActions.ts';
import { DURATION_UNITS, fieldErrors, fromUnit, toUnit, type DurationUnit } from '../graph.ts';
import type { SamplePrefix } from '../step-fields.ts';

/** What a panel knows beyond its node's data; the editor builds it, tests hand one in. */
export type PanelEnv = {
  eventTypes: EventType[];
  destinations: DestinationSummary[];
  /** null: not known (still loading, or the API has no credentials yet). */
  credentials: CredentialSummary[] | null;
  /** The event's data as this node sees it: the trigger's sample, or what an upstream transform made. */
  sample: Record<string, unknown>;
  /** The workspace's inbound sources (for a source trigger). */
  sources?: SourceSummary[];
  /** The source whose requests reach this node, when a source trigger leads here. */
  source?: SourceSummary | null;
  /** That source's last request (null: none yet; undefined: not loaded). */
  sourceSample?: SourceSample | null;
  /** Renaming a source, choosing its sample (absent in tests that need neither). */
  sourceActions?: Pick<SourceActions, 'rename' | 'chooseSample'> & Partial<Pick<SourceActions, 'listener'>>;
  /** Where a map step's `from` paths start: `data` of a published event, or `body` of a source's request. */
  samplePrefix?: SamplePrefix;
  /** Where `sample` comes from, said to the user; null when no trigger leads here. */
  sampleFrom: string | null;
  /** The fields of the destination a map step leads to; null when it takes any field (webhook, Zapier). */
  targets: DestinationField[] | null;
  targetsFor: string | null;
  /** Runs this node, with the given data, on the sample through the server's flow test. */
  preview(data: Record<string, unknown>): Promise<NodeTestResult | undefined>;
  /** The connector's connection test for this destination node, with the given data, saved or not. */
  testConnection(data: Record<string, unknown>): Promise<ConnectionTest>;
};

export type PanelProps = { id: string; data: Record<string, unknown>; onChange: (data: Record<string, unknown>) => void; env: PanelEnv };

/** The kind's schema errors for the node's current data, keyed by field path. */
export function useFieldErrors(kind: NodeKind, data: Record<string, unknown>): Record<string, string> {
  return useMemo(() => fieldErrors(kind, data), [kind, data]);
}

/** A labelled control with the schema's message for its field under it. */
export function Field({ label, hint, error, testid, children }: { label: ReactNode; hint?: ReactNode; error?: string; testid?: string; children: ReactNode }) {
  return (
    <label className="flow-field">
      <span className="flow-field-label">{label}</span>
      {children}
      {hint && <span className="flow-field-hint">{hint}</span>}
      {error && (
        <span className="flow-field-error" data-testid={testid ? `error-${testid}` : undefined}>
          {error}
        </span>
      )}
    </label>
  );
}

/** The value at a dot path of the sample. */
export function valueAt(sample: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), sample);
}

export function SampleNote({ env }: { env: PanelEnv }) {
  if (!env.sampleFrom && env.source) {
    return (
      <p className="flow-note" data-testid="sample-none">
        No request has reached {env.source.name} yet: send one to <code>{env.source.url}</code> to pick its fields here, or type them.
      </p>
    );
  }
  return env.sampleFrom ? (
    <p className="flow-field-hint">Fields come from {env.sampleFrom}.</p>
  ) : (
    <p className="flow-note">Connect a trigger to this step to pick its fields from a sample event.</p>
  );
}

/** A number and a unit (seconds, minutes, hours) for a duration held in milliseconds. */
export function DurationInput({
  ms,
  onChange,
  testid,
  units = ['seconds', 'minutes', 'hours'],
}: {
  ms: number;
  onChange: (ms: number) => void;
  testid: string;
  units?: DurationUnit[];
}) {
  const initial = toUnit(Number.isFinite(ms) ? ms : 0);
  // The unit is the user's choice: 120 seconds must not flip to 2 minutes while typing.
  const [unit, setUnit] = useState<DurationUnit>(units.includes(initial.unit) ? initial.unit : units[0]);
  const amount = ms / DURATION_UNITS[unit];
  return (
    <span className="flow-duration">
      <input
        type="number"
        min={0}
        step="any"
        data-testid={`${testid}-amount`}
        aria-label="Amount"
        value={Number.isFinite(amount) ? String(amount) : ''}
        onChange={(e) => onChange(fromUnit(Number(e.target.value), unit))}
      />
      <select
        data-testid={`${testid}-unit`}
        aria-label="Unit"
        value={unit}
        onChange={(e) => {
          const next = e.target.value as DurationUnit;
          setUnit(next);
          onChange(fromUnit(amount, next));
        }}
      >
        {units.map((u) => (
          <option key={u} value={u}>
            {u}
          </option>
        ))}
      </select>
    </span>
  );
}

/** "Test connection": asks the connector whether it can reach the destination, without saving. */
export function TestConnection({ run, disabled }: { run: () => Promise<ConnectionTest>; disabled?: boolean }) {
  const [state, setState] = useState<{ busy: boolean; result?: ConnectionTest; error?: string }>({ busy: false });
  const go = async () => {
    setState({ busy: true });
    try {
      setState({ busy: false, result: await run() });
    } catch (err) {
      setState({ busy: false, error: err instanceof Error ? err.message : String(err) });
    }
  };
  const r = state.result;
  return (
    <div className="flow-test-connection">
      <button type="button" data-testid="test-connection" onClick={() => void go()} disabled={disabled || state.busy}>
        {state.busy ? 'Testing…' : 'Test connection'}
      </button>
      {(r || state.error) && (
        <div className={r?.ok ? 'notice good' : 'error'} role="status" data-testid="test-connection-result">
          {r ? (r.ok ? '✓ ' : '✗ ') + r.message : state.error}
          {r && r.warnings.length > 0 && (
            <ul>
              {r.warnings.map((w, i) => (
                <li key={i}>{w}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}

const CREDENTIAL_KIND_NAME: Record<CredentialSummary['kind'], string> = {
  'google-service-account': 'Google service account',
  'google-oauth': 'Google account',
  hubspot: 'HubSpot token',
  pipedrive: 'Pipedrive API token',
};

/**
 * Which stored credential a destination uses: the newest of its kind unless the user picks one, and
 * a note sending them to Settings when there is none.
 */
export function CredentialChoice({
  kind,
  value,
  credentials,
  onChange,
  testid,
}: {
  kind: CredentialSummary['kind'];
  value: string | undefined;
  credentials: CredentialSummary[] | null;
  onChange: (id: string | undefined) => void;
  testid: string;
}) {
  if (credentials === null) return null;
  const mine = credentials.filter((c) => c.kind === kind);
  const name = CREDENTIAL_KIND_NAME[kind];
  if (!mine.length) {
    return (
      <p className="flow-note" data-testid={`${testid}-missing`}>
        No {name} yet. <a href="/settings">Add one in Settings</a>, then come back: this destination uses it without you pasting it here.
      </p>
    );
  }
  const chosen = mine.find((c) => c.id === value) ?? mine[0];
  return (
    <Field
      label="Credentials"
      hint={
        kind === 'google-service-account' && chosen.hint ? (
          <>
            Share the sheet with <code data-testid={`${testid}-email`}>{chosen.hint}</code> (Editor access).
          </>
        ) : undefined
      }
    >
      <select data-testid={testid} value={value ?? ''} onChange={(e) => onChange(e.target.value || undefined)}>
        <option value="">The newest {name}</option>
        {mine.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name ?? c.id}
            {c.hint ? ` — ${c.hint}` : ''}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** Drops a key from a node's data (an emptied optional field must be absent, not ""). */
export function without(data: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _drop, ...rest } = data;
  return rest;
}

import { useEffect, useState } from 'react';
import { CopyButton } from '../../pages/gateway/parts.tsx';
import { JsonView } from '../../ui/JsonView.tsx';
import { humanize } from '../graph.ts';
import type { SourceSummary } from '../flow-api.ts';
import { Field, useFieldErrors, type PanelEnv, type PanelProps } from './common.tsx';
import { ListenForRequest } from './ListenForRequest.tsx';

/** Which event starts the flow, with that event's sample so the user sees what they will get. */
export function TriggerPanel({ data, onChange, env, id }: PanelProps) {
  const errors = useFieldErrors('trigger', data);
  if (data.sourceId !== undefined) return <SourceTriggerPanel id={id} data={data} onChange={onChange} env={env} errors={errors} />;
  const chosen = env.eventTypes.find((t) => t.name === data.eventType);
  return (
    <>
      <Field label="When this happens" error={errors.eventType} testid="trigger-event">
        <select data-testid="trigger-event" value={String(data.eventType ?? '')} onChange={(e) => onChange({ ...data, eventType: e.target.value })}>
          <option value="">Choose an event…</option>
          {env.eventTypes.map((t) => (
            <option key={t.name} value={t.name}>
              {humanize(t.name)} ({t.name})
            </option>
          ))}
        </select>
      </Field>
      {chosen && (
        <>
          {chosen.description && <p className="flow-field-hint">{chosen.description}</p>}
          <details className="flow-sample" data-testid="trigger-sample">
            <summary>A sample of this event’s data</summary>
            <JsonView value={chosen.sample} />
          </details>
        </>
      )}
    </>
  );
}

/** Which inbound source starts the flow: its ingest URL to hand to the sender, and its last request. */
function SourceTriggerPanel({ data, onChange, env, errors }: PanelProps & { errors: Record<string, string> }) {
  const sources = env.sources ?? [];
  const chosen = sources.find((s) => s.id === data.sourceId);
  const last = env.sourceSample;
  return (
    <>
      <Field label="When a request reaches" error={errors.sourceId} testid="trigger-source">
        <select data-testid="trigger-source" value={String(data.sourceId ?? '')} onChange={(e) => onChange({ ...data, sourceId: e.target.value })}>
          <option value="">Choose a source…</option>
          {sources.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name} ({s.type})
            </option>
          ))}
        </select>
      </Field>
      {chosen && (
        <>
          {env.sourceActions && <SourceName key={chosen.id} source={chosen} rename={env.sourceActions.rename} />}
          <Field label="Ingest URL" hint="Give this URL to the sender: every request to it runs this flow.">
            <span className="row">
              <code data-testid="trigger-source-url">{chosen.url}</code>
              <CopyButton text={chosen.url} testId="copy-source-url" />
            </span>
          </Field>
          <ListenForRequest
            source={chosen}
            chosen={last?.request_id ?? null}
            onUse={env.sourceActions ? (s) => env.sourceActions?.chooseSample(chosen.id, s) : undefined}
            store={env.sourceActions?.listener}
            idle={
              last ? (
                <details className="flow-sample" data-testid="trigger-sample">
                  <summary>The sample: the request of {new Date(last.received_at).toLocaleString()}</summary>
                  <JsonView value={last.sample.body} />
                </details>
              ) : (
                last === null && (
                  <p className="flow-note" data-testid="trigger-no-request">
                    No request yet: listen, then send one to the URL above, and its fields show up in the steps. Map fields read <code>body.…</code>,{' '}
                    <code>headers.…</code>, <code>query.…</code> and <code>path</code>.
                  </p>
                )
              )
            }
          />
        </>
      )}
    </>
  );
}

/**
 * The source's name, as the palette and the Sources page show it; saved when the field is left
 * (or on Enter), since it renames the source for every flow that uses it.
 */
function SourceName({ source, rename }: { source: SourceSummary; rename: NonNullable<PanelEnv['sourceActions']>['rename'] }) {
  const [name, setName] = useState(source.name);
  const [state, setState] = useState<{ busy: boolean; error?: string; saved?: boolean }>({ busy: false });
  useEffect(() => setName(source.name), [source.name]);
  const save = async () => {
    const next = name.trim();
    if (!next || next === source.name) return setName(source.name);
    setState({ busy: true });
    try {
      await rename(source.id, next);
      setState({ busy: false, saved: true });
    } catch (err) {
      setState({ busy: false, error: err instanceof Error ? err.message : String(err) });
    }
  };
  return (
    <Field
      label="Name"
      hint={state.saved ? 'Renamed.' : 'How this URL is listed in the palette and on the Sources page.'}
      error={state.error}
      testid="trigger-source-name"
    >
      <input
        data-testid="trigger-source-name"
        value={name}
        disabled={state.busy}
        maxLength={155}
        onChange={(e) => setName(e.target.value)}
        onBlur={() => void save()}
        onKeyDown={(e) => {
          if (e.key === 'Enter') void save();
        }}
      />
    </Field>
  );
}

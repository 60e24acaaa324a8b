import { CopyButton } from '../../pages/gateway/parts.tsx';
import { JsonView } from '../../ui/JsonView.tsx';
import { humanize } from '../graph.ts';
import { Field, useFieldErrors, type PanelProps } from './common.tsx';

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
          <Field label="Ingest URL" hint="Give this URL to the sender: every request to it runs this flow.">
            <span className="row">
              <code data-testid="trigger-source-url">{chosen.url}</code>
              <CopyButton text={chosen.url} testId="copy-source-url" />
            </span>
          </Field>
          {last ? (
            <details className="flow-sample" data-testid="trigger-sample">
              <summary>The last request’s body ({new Date(last.received_at).toLocaleString()})</summary>
              <JsonView value={last.sample.body} />
            </details>
          ) : (
            last === null && (
              <p className="flow-note" data-testid="trigger-no-request">
                No request yet: send one to the URL above, and its fields show up in the steps. Map fields read <code>body.…</code>, <code>headers.…</code>, <code>query.…</code> and <code>path</code>.
              </p>
            )
          )}
        </>
      )}
    </>
  );
}

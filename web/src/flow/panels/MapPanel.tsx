import { MappingEditor, type Mapping } from '../../ui/MappingEditor.tsx';
import { Field, SampleNote, type PanelProps } from './common.tsx';

/**
 * The event's fields (a strip that stays in sight), the destination's fields under them, and the
 * envelope around them last: dragging a field onto a field comes first, the envelope rarely changes.
 */
export function MapPanel({ data, onChange, env }: PanelProps) {
  const envelope = data.envelope === 'nested' ? 'nested' : 'flat';
  const mappings = (Array.isArray(data.mappings) ? data.mappings : []) as Mapping[];
  // A source's requests go out as the mapped body alone: no envelope to choose.
  const request = env.samplePrefix === 'body';
  return (
    <>
      <SampleNote env={env} />
      <MappingEditor
        prefix={env.samplePrefix}
        sample={env.sample}
        mappings={mappings}
        envelope={envelope}
        targets={env.targets}
        targetsFor={env.targetsFor}
        onChange={(next) => onChange({ ...data, mappings: next })}
        onPreview={async (m, e) => {
          const r = await env.preview({ ...data, mappings: m, envelope: e });
          if (r?.status === 'error') throw new Error(r.message ?? 'The mapping failed on the sample.');
          return r?.output;
        }}
      />
      {request ? (
        <p className="flow-field-hint" data-testid="map-request-note">
          The mapped fields are the whole body sent. Fields read the request: <code>body.…</code>, <code>headers.…</code>, <code>query.…</code>,{' '}
          <code>path</code>.
        </p>
      ) : (
        <Field label="Envelope" hint="Every delivery carries the event's type, id and time with your fields.">
          <select data-testid="map-envelope" value={envelope} onChange={(e) => onChange({ ...data, envelope: e.target.value })}>
            <option value="flat">Flat: your fields beside eventType, eventId…</option>
            <option value="nested">Nested: your fields under data</option>
          </select>
        </Field>
      )}
    </>
  );
}

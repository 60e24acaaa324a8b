/** JSON with folding: every object and array is a <details> the reader can close. */
export function JsonView({ value, name }: { value: unknown; name?: string }) {
  if (value === null || typeof value !== 'object') {
    return (
      <span className="json-leaf">
        {name !== undefined && <span className="json-key">{name}: </span>}
        <span className={`json-${value === null ? 'null' : typeof value}`}>{JSON.stringify(value)}</span>
      </span>
    );
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
  return (
    <details open className="json">
      <summary>
        {name !== undefined && <span className="json-key">{name}: </span>}
        {Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`}
      </summary>
      <div className="json-children">
        {entries.map(([k, v]) => (
          <div key={k}>
            <JsonView value={v} name={k} />
          </div>
        ))}
      </div>
    </details>
  );
}

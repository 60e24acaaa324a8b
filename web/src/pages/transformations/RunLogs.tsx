import type { Log } from './types.ts';

/** What the code printed with console.*, in order. */
export function RunLogs({ logs }: { logs: Log[] }) {
  if (logs.length === 0) return <p className="muted">No console output.</p>;
  return (
    <ol className="logs" data-testid="transformation-logs">
      {logs.map((l, i) => (
        <li key={i} className={`log-${l.level}`}>
          <span className="badge">{l.level}</span> <code>{l.message}</code>
        </li>
      ))}
    </ol>
  );
}

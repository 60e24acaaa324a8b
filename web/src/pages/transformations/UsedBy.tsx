import { useState } from 'react';
import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import { useLoad } from '../../ui/useLoad.ts';
import { useSubmit } from '../../ui/useSubmit.ts';
import type { Connection, PageOf } from '../gateway/types.ts';

type Rule = Connection['rules'][number];
const usesIt = (r: Rule, id: string) => r.type === 'transformation' && r.transformation_id === id;

/**
 * The connections that run this transformation, and attaching it to another one. It is added
 * after the connection's other rules, so its existing filters keep reading the request as it came
 * (a connection has at most one transformation: this one replaces another).
 */
export function UsedBy({ transformationId }: { transformationId: string }) {
  const conns = useLoad(() => api<PageOf<Connection>>('GET', '/connections?limit=255'), [transformationId]);
  const [pick, setPick] = useState('');
  const act = useSubmit();
  const all = conns.data?.models ?? [];
  const using = all.filter((c) => c.rules.some((r) => usesIt(r, transformationId)));
  const others = all.filter((c) => !using.includes(c));

  const setRules = (c: Connection, rules: Rule[]) =>
    act.run(async () => {
      await api('PUT', `/connections/${c.id}`, { rules });
      setPick('');
      await conns.reload();
    });

  return (
    <section data-testid="transformation-used-by">
      <h2>Connections using it</h2>
      <ErrorBox error={conns.error ?? act.error} />
      {conns.data && using.length === 0 && <p className="muted">None yet: it runs only on the connections you add it to.</p>}
      {using.length > 0 && (
        <ul>
          {using.map((c) => (
            <li key={c.id} data-testid="used-by-connection">
              {c.full_name}{' '}
              <button
                className="small"
                disabled={act.busy}
                onClick={() =>
                  void setRules(
                    c,
                    c.rules.filter((r) => !usesIt(r, transformationId)),
                  )
                }
              >
                Stop using it
              </button>
            </li>
          ))}
        </ul>
      )}
      {others.length > 0 && (
        <div className="row">
          <select aria-label="Connection" data-testid="used-by-pick" value={pick} onChange={(e) => setPick(e.target.value)}>
            <option value="">Choose a connection…</option>
            {others.map((c) => (
              <option key={c.id} value={c.id}>
                {c.full_name}
              </option>
            ))}
          </select>
          <button
            data-testid="used-by-add"
            disabled={!pick || act.busy}
            onClick={() => {
              const c = others.find((x) => x.id === pick);
              if (c) void setRules(c, [...c.rules.filter((r) => r.type !== 'transformation'), { type: 'transformation', transformation_id: transformationId }]);
            }}
          >
            Use it on this connection
          </button>
        </div>
      )}
    </section>
  );
}

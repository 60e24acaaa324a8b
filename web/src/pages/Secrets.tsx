import { useState, type ReactNode } from 'react';
import { api } from '../api.ts';
import { ErrorBox } from '../ui/ErrorBox.tsx';
import { useLoad } from '../ui/useLoad.ts';
import { Confirm, CopyButton, when } from './gateway/parts.tsx';
import { UsedByLine, useUsedBy } from './gateway/UsedBy.tsx';

type Which = 'api_key' | 'signing_secret';
type OneSecret = { value?: string; masked_value: string; last_rotated_at: string };
type ProjectSecrets = { team_id: string } & Record<Which, OneSecret>;

const ABOUT: Record<Which, { title: string; use: string; rotating: string }> = {
  api_key: {
    title: 'Project API key',
    use: 'Your application sends it as a Bearer token to publish events into this workspace. It can read and change everything here, so keep it on your servers.',
    rotating: 'The old key stops working at once: every app still sending it is refused (401) until it has the new one.',
  },
  signing_secret: {
    title: 'Signing secret',
    use: 'Signs the deliveries of webhooks that have no secret of their own; your receivers check the signature with it.',
    rotating: 'The old secret stops working at once: receivers that still check with it reject every delivery until they have the new one.',
  },
};

/** The workspace's project API key and signing secret: masked, revealed on request, rotated after a confirmation. */
export function Secrets() {
  const masked = useLoad(() => api<ProjectSecrets>('GET', '/project-secrets'));
  // Values fetched on Reveal or returned by a rotation; cleared by Hide.
  const [revealed, setRevealed] = useState<Partial<Record<Which, string>>>({});
  const [rotated, setRotated] = useState<Which | null>(null);
  const [error, setError] = useState<unknown>(null);
  const used = useUsedBy('secret');

  const reveal = async (which: Which) => {
    setError(null);
    try {
      const full = await api<ProjectSecrets>('GET', '/project-secrets?reveal=true');
      setRevealed((r) => ({ ...r, [which]: full[which].value }));
    } catch (err) {
      setError(err);
    }
  };
  const rotate = async (which: Which) => {
    const out = await api<ProjectSecrets>('POST', '/project-secrets/rotate', { rotate: [which] });
    setRevealed((r) => ({ ...r, [which]: out[which].value }));
    setRotated(which);
    await masked.reload();
  };

  return (
    <section>
      <header className="row">
        <h1>Project secrets</h1>
      </header>
      <p className="muted">Two secrets belong to the workspace itself. They are stored encrypted and shown masked until you reveal them.</p>
      <ErrorBox error={error ?? masked.error} />
      {masked.loading && !masked.data && <p className="loading">Loading…</p>}
      {masked.data &&
        (['api_key', 'signing_secret'] as const).map((which) => (
          <SecretCard
            key={which}
            which={which}
            secret={masked.data![which]}
            value={revealed[which]}
            justRotated={rotated === which}
            onReveal={() => void reveal(which)}
            onHide={() => setRevealed((r) => ({ ...r, [which]: undefined }))}
            onRotate={() => rotate(which)}
          >
            <UsedByLine
              usage={used.get(which)}
              loaded={used.loaded}
              empty={which === 'api_key' ? 'Nothing has published with it yet.' : 'Every webhook has a secret of its own: none signs with this one.'}
            />
          </SecretCard>
        ))}
    </section>
  );
}

function SecretCard(p: {
  which: Which;
  secret: OneSecret;
  value: string | undefined;
  justRotated: boolean;
  onReveal: () => void;
  onHide: () => void;
  onRotate: () => Promise<void>;
  children?: ReactNode;
}) {
  const about = ABOUT[p.which];
  const [confirming, setConfirming] = useState(false);
  return (
    <div className="card" data-testid={`secret-${p.which}`}>
      <h2>{about.title}</h2>
      <p className="muted">{about.use}</p>
      {p.children}
      {p.justRotated && (
        <div className="notice" role="status">
          Rotated. The new value is shown below; give it to everything that used the old one.
        </div>
      )}
      <div className="row nowrap">
        <code data-testid={`secret-${p.which}-value`}>{p.value ?? p.secret.masked_value}</code>
        {p.value ? (
          <>
            <CopyButton text={p.value} testId={`secret-${p.which}-copy`} />
            <button className="small" data-testid={`secret-${p.which}-hide`} onClick={p.onHide}>
              Hide
            </button>
          </>
        ) : (
          <button className="small" data-testid={`secret-${p.which}-reveal`} onClick={p.onReveal}>
            Reveal
          </button>
        )}
        <button className="small danger" data-testid={`secret-${p.which}-rotate`} onClick={() => setConfirming(true)} disabled={confirming}>
          Rotate
        </button>
      </div>
      <p className="muted small-text">Last rotated {when(p.secret.last_rotated_at)}</p>
      {confirming && (
        <Confirm
          verb="rotate"
          title={`Rotate the ${about.title.toLowerCase()}?`}
          onCancel={() => setConfirming(false)}
          onConfirm={async () => {
            await p.onRotate();
            setConfirming(false);
          }}
        >
          <p>{about.rotating}</p>
        </Confirm>
      )}
    </div>
  );
}

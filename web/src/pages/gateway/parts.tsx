import { useEffect, useRef, useState, type ReactNode } from 'react';
import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import { useLoad } from '../../ui/useLoad.ts';
import type { Connection, PageOf } from './types.ts';

export function CopyButton({ text, testId, label = 'Copy' }: { text: string; testId?: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(t);
  }, [copied]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      // Clipboard access is refused on plain http and in some browsers: select the text for a manual copy instead.
      window.prompt('Copy this:', text);
    }
  };
  return (
    <button type="button" className="small" data-testid={testId} aria-label={`${label}: ${text}`} onClick={() => void copy()}>
      {copied ? 'Copied' : label}
    </button>
  );
}

/**
 * An inline "are you sure" that says what else goes, instead of a browser dialog: it is read
 * where the user is looking, and keyboard users land on Cancel.
 */
export function ConfirmDelete(props: { title: string; children?: ReactNode; onConfirm: () => Promise<void>; onCancel: () => void }) {
  return <Confirm verb="delete" {...props} />;
}

const VERBS = {
  delete: ['Yes, delete', 'Deleting…'],
  rotate: ['Yes, rotate', 'Rotating…'],
  remove: ['Yes, remove', 'Removing…'],
  leave: ['Yes, leave', 'Leaving…'],
  revoke: ['Yes, revoke', 'Revoking…'],
} as const;

/** The same inline confirmation for any destructive action; test ids are `confirm-<verb>[-yes|-no]`. */
export function Confirm({
  verb,
  title,
  children,
  onConfirm,
  onCancel,
}: {
  verb: keyof typeof VERBS;
  title: string;
  children?: ReactNode;
  onConfirm: () => Promise<void>;
  onCancel: () => void;
}) {
  const [yes, working] = VERBS[verb];
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => cancelRef.current?.focus(), []);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <div className="confirm" role="alertdialog" aria-label={title} data-testid={`confirm-${verb}`} onKeyDown={(e) => e.key === 'Escape' && onCancel()}>
      <strong>{title}</strong>
      {children}
      <ErrorBox error={error} />
      <div className="row">
        <button className="danger" data-testid={`confirm-${verb}-yes`} disabled={busy} onClick={() => void confirm()}>
          {busy ? working : yes}
        </button>
        <button ref={cancelRef} data-testid={`confirm-${verb}-no`} disabled={busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** A gateway object's name cell: its name (and `badge`), description and id, then `children` (where it is used). */
export function NameCell({ of, badge, children }: { of: { id: string; name: string; description?: string | null }; badge?: ReactNode; children?: ReactNode }) {
  return (
    <>
      <strong>{of.name}</strong>
      {badge}
      {of.description && <div className="muted small-text">{of.description}</div>}
      <div className="muted mono small-text">{of.id}</div>
      {children}
    </>
  );
}

export function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** "Its connections go with it (2): a, b." — what a delete takes along, by name. */
function AlsoGoes({ what, names, more }: { what: string; names: string[]; more?: boolean }) {
  if (names.length === 0) return <p>It has no {what}.</p>;
  return (
    <p data-testid="confirm-also">
      Its {what} go with it ({names.length}
      {more ? '+' : ''}): <strong>{names.join(', ')}</strong>.
    </p>
  );
}

/**
 * The connections a source's or a destination's delete takes along, loaded as the confirmation
 * opens; `children` reads them too (a destination warns when one carries published events).
 */
export function ConnectionsGoing({
  by,
  id,
  name,
  children,
}: {
  by: 'source_id' | 'destination_id';
  id: string;
  name: (c: Connection) => string;
  children?: (models: Connection[]) => ReactNode;
}) {
  const conns = useLoad(() => api<PageOf<Connection>>('GET', `/connections?${by}=${id}&limit=255`), [by, id]);
  return (
    <>
      {conns.loading && <p className="loading">Looking for its connections…</p>}
      {conns.data && <AlsoGoes what="connections" names={conns.data.models.map(name)} more={!!conns.data.pagination.next} />}
      {conns.data && children?.(conns.data.models)}
      <ErrorBox error={conns.error} />
    </>
  );
}

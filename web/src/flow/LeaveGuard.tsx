import { useEffect, useRef, useState } from 'react';
import { useBlocker } from 'react-router';

/**
 * Guards unsaved work: a link or Back inside the portal asks first (react-router's blocker), and
 * closing or reloading the tab gets the browser's own "Leave site?" prompt. `allowNext()` lets the
 * editor's own navigation through (a new flow's address after its first save).
 */
export function useLeaveGuard(dirty: boolean, save: () => Promise<boolean>) {
  const pass = useRef(false);
  const blocker = useBlocker(({ currentLocation, nextLocation }) => {
    if (pass.current) {
      pass.current = false;
      return false;
    }
    return dirty && currentLocation.pathname !== nextLocation.pathname;
  });
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      // Older browsers still need a returnValue to show the prompt.
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);
  const [saving, setSaving] = useState(false);
  const dialog =
    blocker.state === 'blocked' ? (
      <div className="leave-backdrop">
        <div
          className="leave-dialog"
          role="alertdialog"
          aria-modal="true"
          aria-labelledby="leave-title"
          data-testid="leave-dialog"
          onKeyDown={(e) => e.key === 'Escape' && blocker.reset()}
        >
          <strong id="leave-title">Leave without saving?</strong>
          <p>This flow has changes that are not saved yet. If you leave now, they are lost.</p>
          <div className="row">
            <button
              className="primary"
              data-testid="leave-save"
              disabled={saving}
              onClick={async () => {
                setSaving(true);
                const ok = await save();
                setSaving(false);
                if (ok) blocker.proceed();
                else blocker.reset();
              }}
            >
              {saving ? 'Saving…' : 'Save and leave'}
            </button>
            <button className="danger" data-testid="leave-discard" disabled={saving} onClick={() => blocker.proceed()}>
              Leave without saving
            </button>
            <button data-testid="leave-stay" disabled={saving} autoFocus onClick={() => blocker.reset()}>
              Stay
            </button>
          </div>
        </div>
      </div>
    ) : null;
  return {
    dialog,
    allowNext: () => {
      pass.current = true;
    },
  };
}

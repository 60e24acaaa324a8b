import { useCallback, useRef, useState } from 'react';

/** Undo/redo over snapshots: `record(current)` before a change; undo/redo hand back the snapshot to restore. */
export function useHistory<T>(limit = 100) {
  const past = useRef<T[]>([]);
  const future = useRef<T[]>([]);
  const [, bump] = useState(0);
  const record = useCallback(
    (current: T) => {
      past.current = [...past.current.slice(-(limit - 1)), current];
      future.current = [];
      bump((n) => n + 1);
    },
    [limit],
  );
  const undo = useCallback((current: T): T | null => {
    const prev = past.current.at(-1);
    if (prev === undefined) return null;
    past.current = past.current.slice(0, -1);
    future.current = [current, ...future.current];
    bump((n) => n + 1);
    return prev;
  }, []);
  const redo = useCallback((current: T): T | null => {
    const next = future.current[0];
    if (next === undefined) return null;
    future.current = future.current.slice(1);
    past.current = [...past.current, current];
    bump((n) => n + 1);
    return next;
  }, []);
  return { record, undo, redo, canUndo: past.current.length > 0, canRedo: future.current.length > 0 };
}

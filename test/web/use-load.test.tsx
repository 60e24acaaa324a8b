// @vitest-environment happy-dom
// A list that is paged quickly, or reloaded while the load its new cursor started is in flight,
// shows the answer to the latest request, whichever answer arrives last.
import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useLoad } from '../../web/src/ui/useLoad.ts';

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('useLoad', () => {
  it('keeps the latest request’s answer when an older one arrives after it', async () => {
    const answers = new Map([
      ['page 1', deferred<string>()],
      ['page 2', deferred<string>()],
    ]);
    const { result, rerender } = renderHook(({ page }) => useLoad(() => answers.get(page)!.promise, [page]), { initialProps: { page: 'page 1' } });
    rerender({ page: 'page 2' });
    await act(async () => answers.get('page 2')!.resolve('page 2'));
    await waitFor(() => expect(result.current.data).toBe('page 2'));
    await act(async () => answers.get('page 1')!.resolve('page 1'));
    expect(result.current.data).toBe('page 2');
    expect(result.current.loading).toBe(false);
  });
});

// @vitest-environment happy-dom
// The "Used by" line on the developer pages: a flow's own connection and webhook are named once, as
// the flow; what no flow drew is named itself; each name links to where it is edited.
import { cleanup, render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it } from 'vitest';
import { UsedByLine, type Usage } from '../../web/src/pages/gateway/UsedBy.tsx';

const usage = (over: Partial<Usage>): Usage => ({
  kind: 'source',
  id: 'src_1',
  flows: [],
  webhooks: [],
  connections: [],
  sources: [],
  destinations: [],
  ...over,
});
const line = (u: Usage | undefined, props: Partial<Parameters<typeof UsedByLine>[0]> = {}) => {
  render(
    <MemoryRouter>
      <UsedByLine usage={u} {...props} />
    </MemoryRouter>,
  );
  return screen.getByTestId('used-by');
};

afterEach(cleanup);

describe('the Used by line', () => {
  it("names a flow's own webhook and connection once, as the flow, and links to it", () => {
    const el = line(
      usage({
        flows: [{ id: 'flw_1', name: 'Orders' }],
        webhooks: [{ id: 'web_1', name: 'Orders: webhook_1 x', flow_id: 'flw_1' }],
        connections: [{ id: 'web_1', name: 'Orders: webhook_1 x', flow_id: 'flw_1' }],
      }),
    );
    expect(el.textContent).toBe('Used by: flow Orders');
    expect(screen.getByRole('link', { name: 'Orders' }).getAttribute('href')).toBe('/flows/flw_1');
  });

  it('names a hand-made webhook as a webhook (not again as its connection) and other connections by name', () => {
    const el = line(
      usage({
        webhooks: [{ id: 'web_2', name: 'ops' }],
        connections: [
          { id: 'web_2', name: 'ops' },
          { id: 'web_3', name: 'paid' },
        ],
      }),
    );
    expect(el.textContent).toBe('Used by: webhook ops · connection paid');
    expect(screen.getByRole('link', { name: 'ops' }).getAttribute('href')).toBe('/webhooks');
  });

  it('counts more than three of a kind, says when nothing uses it, and waits for the answer', () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ id: `flw_${i}`, name: `F${i}` }));
    expect(line(usage({ flows: many })).textContent).toBe('Used by: 5 flows');
    cleanup();
    expect(line(usage({}), { empty: 'Not used yet' }).textContent).toBe('Not used yet');
    cleanup();
    expect(line(undefined).textContent).toBe('Not used by any flow or connection yet');
    cleanup();
    render(
      <MemoryRouter>
        <UsedByLine usage={undefined} loaded={false} />
      </MemoryRouter>,
    );
    expect(screen.queryByTestId('used-by')).toBeNull();
  });

  it('leaves out what the page shows already', () => {
    const el = line(usage({ kind: 'connection', flows: [], sources: [{ id: 'src_1', name: 'shop' }], destinations: [{ id: 'des_1', name: 'crm' }] }), {
      skip: ['sources', 'destinations'],
      label: 'Part of',
      empty: 'Made by hand (no flow)',
    });
    expect(el.textContent).toBe('Made by hand (no flow)');
  });
});

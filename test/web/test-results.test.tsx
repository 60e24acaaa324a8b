// @vitest-environment happy-dom
// What a test run shows: a Google Sheet's row as its columns and cells (with a word on the apostrophe
// the connector adds), and in the Test drawer what each destination would get before the steps.
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { buildRow } from '../../connectors/google-sheets/row.ts';
import type { FlowTestOut } from '../../web/src/flow/flow-api.ts';
import { defaultData, type CanvasNode } from '../../web/src/flow/graph.ts';
import { TestDrawer } from '../../web/src/flow/TestDrawer.tsx';
import { SheetRow } from '../../web/src/ui/SheetRow.tsx';

afterEach(cleanup);

const columns = ['name', 'email', 'phone', 'score'];
const lead = { name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', score: 7 };

describe('a sheet row', () => {
  it('shows each column beside the cell the connector builds, and says the apostrophe is not shown in Sheets', () => {
    const row = buildRow(columns, lead);
    render(<SheetRow value={row} columns={columns} />);
    expect(columns.map((c) => screen.getByTestId(`sheet-cell-${c}`).textContent)).toEqual(['Jane Smith', 'jane@example.com', "'+15555550123", '7']);
    expect(screen.getAllByRole('rowheader').map((th) => th.textContent)).toEqual(columns);
    expect(screen.getByTestId('sheet-row-hint').textContent).toBe("phone: shown in Sheets without the leading '");
  });

  it('says nothing of apostrophes when no cell has one, and marks an empty cell', () => {
    render(<SheetRow value={buildRow(['name', 'city'], { name: "O'Brien" })} columns={['name', 'city']} />);
    expect(screen.getByTestId('sheet-cell-name').textContent).toBe("O'Brien");
    expect(screen.getByTestId('sheet-cell-city').textContent).toBe('(empty)');
    expect(screen.queryByTestId('sheet-row-hint')).toBeNull();
  });

  it('falls back to JSON when the columns do not name every cell', () => {
    const { container } = render(<SheetRow value={['a', 'b']} columns={['only']} />);
    expect(container.querySelector('table')).toBeNull();
    expect(container.querySelector('details.json')?.textContent).toContain('"a"');
  });
});

describe('the Test drawer', () => {
  const node = (id: string, type: CanvasNode['type'], data: Record<string, unknown>): CanvasNode => ({ id, type, position: { x: 0, y: 0 }, data });
  const nodes = [
    node('trigger_1', 'trigger', { eventType: 'lead.captured' }),
    node('map_1', 'map', defaultData('map')),
    node('sheets_1', 'sheets', { ...defaultData('sheets'), sheetName: 'Leads', columns }),
    node('webhook_1', 'webhook', { ...defaultData('webhook'), url: 'https://example.test/hook' }),
  ];
  const result: FlowTestOut = {
    event: { eventType: 'lead.captured', data: lead },
    source: 'sample',
    nodes: {
      trigger_1: { status: 'passed', output: lead },
      map_1: { status: 'passed', output: lead },
      sheets_1: { status: 'passed', output: buildRow(columns, lead) },
      webhook_1: { status: 'passed', output: { name: 'Jane Smith' } },
    },
  };

  it("lists the destinations' results first, the sheet's as its row, then the event and the steps", () => {
    render(
      <TestDrawer
        graph={() => ({ nodes: [], edges: [] })}
        nodes={nodes}
        eventTypes={[]}
        result={result}
        onResult={() => undefined}
        onClose={() => undefined}
      />,
    );
    const shown = [...screen.getByTestId('test-results').querySelectorAll('[data-testid^="test-node-"], [data-testid="test-event"]')].map((e) =>
      e.getAttribute('data-testid'),
    );
    expect(shown).toEqual(['test-node-sheets_1', 'test-node-webhook_1', 'test-event', 'test-node-trigger_1', 'test-node-map_1']);
    const sheet = screen.getByTestId('test-output-sheets_1');
    expect(sheet.textContent).toContain('Would add this row to Leads:');
    expect(within(sheet).getByTestId('sheet-cell-phone').textContent).toBe("'+15555550123");
    expect(within(screen.getByTestId('test-node-sheets_1')).getByTestId('test-deliver-sheets_1')).toBeTruthy();
    expect(within(screen.getByTestId('test-output-webhook_1')).queryByRole('table')).toBeNull();
  });
});

// @vitest-environment happy-dom
// The palette: friendly names, the long event catalogue folded behind "All N events", search, and
// pressing an item (keyboard users) adds it like a drop.
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Palette, type PaletteItem } from '../../web/src/flow/Palette.tsx';

const eventTypes = [
  'lead.captured',
  'escalation.created',
  'conversation.started',
  'conversation.ended',
  'message.rated',
  'contact.created',
  'contact.updated',
  'deal.created',
].map((name) => ({ name, group: 'chat', description: `When ${name}`, sample: {} }));
const destinations = [{ id: 'des_1', name: 'Ops CRM', type: 'crm-relay', disabled_at: null, warning: null }];

afterEach(cleanup);

describe('palette', () => {
  it('folds the long event list, searches everything, and adds what is pressed', () => {
    const onAdd = vi.fn<(item: PaletteItem) => void>();
    const onCollapse = vi.fn();
    render(<Palette eventTypes={eventTypes} destinations={destinations} collapsed={false} onCollapse={onCollapse} onAdd={onAdd} />);
    expect(screen.getByTestId('palette-trigger-lead.captured').textContent).toBe('Lead capturedWhen lead.captured');
    expect(screen.queryByTestId('palette-trigger-deal.created')).toBeNull();
    fireEvent.click(screen.getByTestId('palette-more-triggers'));
    expect(screen.getByTestId('palette-trigger-deal.created')).toBeTruthy();
    expect(screen.getByTestId('palette-destination-des_1').textContent).toContain('Send to Ops CRM');

    fireEvent.change(screen.getByTestId('palette-search'), { target: { value: 'sheet' } });
    expect(
      screen
        .getAllByRole('button')
        .filter((b) => b.dataset.testid?.startsWith('palette-') && b.dataset.testid !== 'palette-collapse')
        .map((b) => b.dataset.testid),
    ).toEqual(['palette-sheets']);
    fireEvent.change(screen.getByTestId('palette-search'), { target: { value: 'zzz' } });
    expect(screen.getByText('Nothing matches “zzz”.')).toBeTruthy();
    fireEvent.change(screen.getByTestId('palette-search'), { target: { value: 'conversation' } });
    fireEvent.click(screen.getByTestId('palette-trigger-conversation.ended'));
    expect(onAdd).toHaveBeenCalledWith(expect.objectContaining({ kind: 'trigger', preset: 'conversation.ended' }));

    fireEvent.click(screen.getByTestId('palette-collapse'));
    expect(onCollapse).toHaveBeenCalledWith(true);
  });

  it('collapsed, it is one button that opens it again', () => {
    const onCollapse = vi.fn();
    render(<Palette eventTypes={eventTypes} destinations={[]} collapsed onCollapse={onCollapse} onAdd={() => {}} />);
    expect(screen.queryByTestId('palette-webhook')).toBeNull();
    fireEvent.click(screen.getByTestId('palette-expand'));
    expect(onCollapse).toHaveBeenCalledWith(false);
  });
});

import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

export type Pos = { x: number; y: number };

/**
 * What a user does on the flow editor's React Flow canvas, for the end-to-end tests. `onDrag` is
 * called once per drag the user makes, so a test can count them.
 */
export function canvasActions(page: Page, onDrag: () => void) {
  let dispatchedDrops = 0;
  return {
    /** Palette drops that needed hand-dispatched HTML5 drag events because dragTo did not drop. */
    dispatchedDrops: () => dispatchedDrops,

    /** Drags a palette item onto the canvas at (x, y) of the React Flow pane; dispatches the HTML5 events by hand if dragTo did not drop. */
    async dropOnCanvas(item: Locator, at: Pos): Promise<void> {
      onDrag();
      const pane = page.locator('.react-flow');
      const before = await page.locator('.react-flow__node').count();
      await item.dragTo(pane, { targetPosition: at });
      if ((await page.locator('.react-flow__node').count()) > before) return;
      dispatchedDrops++;
      const box = (await pane.boundingBox())!;
      const dt = await page.evaluateHandle(() => new DataTransfer());
      await item.dispatchEvent('dragstart', { dataTransfer: dt });
      const opts = { dataTransfer: dt, clientX: box.x + at.x, clientY: box.y + at.y };
      await pane.dispatchEvent('dragover', opts);
      await pane.dispatchEvent('drop', opts);
      await expect.poll(() => page.locator('.react-flow__node').count(), { timeout: 10_000 }).toBeGreaterThan(before);
    },

    /** Drags from one node's source handle to another's target handle. */
    async connect(from: string, to: string): Promise<void> {
      onDrag();
      const a = (await page.getByTestId(`node-${from}`).locator('.react-flow__handle.source').boundingBox())!;
      const z = (await page.getByTestId(`node-${to}`).locator('.react-flow__handle.target').boundingBox())!;
      await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
      await page.mouse.down();
      await page.mouse.move(z.x + z.width / 2, z.y + z.height / 2, { steps: 12 });
      await page.mouse.up();
    },

    /** Each node's flow position, from the DOM transform React Flow puts on `.react-flow__node`. */
    positions(): Promise<Record<string, Pos>> {
      return page.evaluate(() => {
        const out: Record<string, { x: number; y: number }> = {};
        for (const el of document.querySelectorAll<HTMLElement>('.react-flow__node')) {
          const m = /translate\(\s*(-?[\d.]+)px,\s*(-?[\d.]+)px\)/.exec(el.style.transform);
          if (m) out[el.dataset.id ?? '?'] = { x: Number(m[1]), y: Number(m[2]) };
        }
        return out;
      });
    },
  };
}

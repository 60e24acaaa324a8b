import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

export type Pos = { x: number; y: number };

/**
 * An HTML5 drag from `from` dropped on `to` (at `at` inside it, else its centre), as the DOM events a
 * drag makes: dragstart, dragenter, dragover, drop, dragend, sharing one DataTransfer. Playwright's
 * dragTo drives Chromium's own drag session instead, and under a loaded suite that session sometimes
 * did not finish: the drop never came, and every later mouse event went to the stuck drag (a click
 * on the panel never reached the page).
 */
export async function html5Drag(page: Page, from: Locator, to: Locator, at?: Pos): Promise<void> {
  await from.scrollIntoViewIfNeeded();
  await to.scrollIntoViewIfNeeded();
  const box = await to.boundingBox();
  if (!box) throw new Error('the drop target is not visible');
  const point = { clientX: box.x + (at ? at.x : box.width / 2), clientY: box.y + (at ? at.y : box.height / 2) };
  const dataTransfer = await page.evaluateHandle(() => new DataTransfer());
  await from.dispatchEvent('dragstart', { dataTransfer });
  for (const type of ['dragenter', 'dragover', 'drop']) await to.dispatchEvent(type, { dataTransfer, ...point });
  await from.dispatchEvent('dragend', { dataTransfer });
}

/**
 * What a user does on the flow editor's React Flow canvas, for the end-to-end tests. `onDrag` is
 * called once per drag the user makes, so a test can count them.
 */
export function canvasActions(page: Page, onDrag: () => void) {
  return {
    /** Drags a palette item onto the canvas at (x, y) of the React Flow pane. */
    async dropOnCanvas(item: Locator, at: Pos): Promise<void> {
      onDrag();
      const before = await page.locator('.react-flow__node').count();
      await html5Drag(page, item, page.locator('.react-flow'), at);
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

    /**
     * Draws lead.captured → Map fields → a `destination` step (its palette id) in a column and connects
     * them: nodes trigger_1, map_1 and `<destination>_1`, two edges.
     */
    async leadThroughMapTo(destination: string): Promise<void> {
      const trigger = page.getByTestId('palette-trigger-lead.captured');
      await trigger.waitFor({ timeout: 15_000 });
      await this.dropOnCanvas(trigger, { x: 20, y: 40 });
      await this.dropOnCanvas(page.getByTestId('palette-map'), { x: 20, y: 220 });
      await this.dropOnCanvas(page.getByTestId(`palette-${destination}`), { x: 20, y: 400 });
      for (const id of ['trigger_1', 'map_1', `${destination}_1`]) await page.getByTestId(`node-${id}`).waitFor();
      await this.connect('trigger_1', 'map_1');
      await this.connect('map_1', `${destination}_1`);
      await expect.poll(() => page.locator('.react-flow__edge').count(), { timeout: 10_000 }).toBe(2);
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

export type CanvasActions = ReturnType<typeof canvasActions>;

import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProcessLogger } from '../server/core/logger.ts';
import { waitFor } from './support/hub.ts';

/** The process's logger (server/main.ts): readable lines for a person at a terminal, JSON for anything else. */
describe('the process logger', () => {
  const terminal = (isTTY: boolean) => {
    const out = new PassThrough();
    const text: string[] = [];
    out.on('data', (c: Buffer) => text.push(c.toString('utf8')));
    return { stream: Object.assign(out, { isTTY }) as unknown as NodeJS.WriteStream, text: () => text.join('').replace(/\x1b\[[0-9;]*m/g, '') };
  };

  it('writes one coloured, readable line per record when stdout is a terminal', async () => {
    const tty = terminal(true);
    const log = await createProcessLogger('info', tty.stream);
    log.info({ url: 'http://127.0.0.1:3000', lanes: [0, 1] }, 'wirehub is listening');
    log.debug('not at info');
    const line = await waitFor(
      () =>
        tty
          .text()
          .split('\n')
          .find((l) => l.includes('wirehub is listening')),
      5000,
      'the line',
    );
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: wirehub is listening \{"url":"http:\/\/127\.0\.0\.1:3000","lanes":\[0,1\]\}$/);
    expect(tty.text()).not.toContain('not at info');
    expect(tty.text()).not.toContain('"level"');
  });

  it('stays JSON lines when stdout is not a terminal', async () => {
    const log = await createProcessLogger('warn', terminal(false).stream);
    // The plain pino logger (to the real stdout), its level as asked.
    expect(log.level).toBe('warn');
    expect(log.isLevelEnabled('info')).toBe(false);
  });
});

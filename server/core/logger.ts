import { pino } from 'pino';

export type Logger = pino.Logger;

const BASE = { app: 'wirehub' };

/** JSON lines: what log collectors read, and what tests and benches use. */
export function createLogger(level: string): Logger {
  return pino({ level, base: BASE });
}

/**
 * The process's logger (server/main.ts): JSON lines, unless stdout is a terminal, where a person
 * reads it; then pino-pretty's coloured one-line records. pino-pretty is imported only then, so a
 * service's start (stdout a pipe or a file) never loads it, and records are formatted in this
 * thread (no transport worker) and written synchronously, so the last ones before an exit show.
 */
export async function createProcessLogger(level: string, stdout: NodeJS.WriteStream = process.stdout): Promise<Logger> {
  if (!stdout.isTTY) return createLogger(level);
  const { default: pretty } = await import('pino-pretty');
  return pino(
    { level, base: BASE },
    pretty({ destination: stdout, sync: true, colorize: true, singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'app' }),
  );
}

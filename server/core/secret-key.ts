import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { decodeKey } from '../config.ts';
import type { Logger } from './logger.ts';

/** WIREHUB_SECRET_KEY, else a key generated once into the data dir (readable by us alone). */
export function loadSecretKey(configured: Buffer | undefined, dataDir: string, log: Logger): Buffer {
  if (configured) return configured;
  const file = path.join(dataDir, 'secret.key');
  if (fs.existsSync(file)) {
    const key = decodeKey(fs.readFileSync(file, 'utf8').trim());
    if (!key) throw new Error(`${file} does not hold a valid 32-byte key; restore it or set WIREHUB_SECRET_KEY`);
    return key;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  fs.writeFileSync(file, key.toString('hex'), { mode: 0o600, flag: 'wx' });
  log.warn({ file }, 'WIREHUB_SECRET_KEY is not set: generated a new encryption key. Back it up; without it stored secrets cannot be read.');
  return key;
}

import { describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.ts';

describe('configuration from the environment', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: 'http://127.0.0.1:3000',
      dataDir: './data',
      role: 'all',
      allowPrivateDestinations: false,
      demoEnabled: true,
    });
    expect(c.databaseUrl).toBeUndefined();
  });

  it('names every bad value with a message a person can act on', () => {
    let message = '';
    try {
      loadConfig({
        PORT: 'eighty',
        WIREHUB_ROLE: 'boss',
        PUBLIC_URL: 'not a url',
        DATABASE_URL: 'mysql://x',
        WIREHUB_SECRET_KEY: 'short',
        WIREHUB_ALLOW_PRIVATE_DESTINATIONS: 'maybe',
      });
    } catch (err) {
      message = (err as Error).message;
    }
    for (const name of ['PORT', 'WIREHUB_ROLE', 'PUBLIC_URL', 'DATABASE_URL', 'WIREHUB_SECRET_KEY', 'WIREHUB_ALLOW_PRIVATE_DESTINATIONS']) {
      expect(message).toContain(name);
    }
  });

  it('keeps the log 30 days unless WIREHUB_RETENTION_DAYS says otherwise (1 to 365 whole days)', () => {
    expect(loadConfig({}).retentionDays).toBe(30);
    expect(loadConfig({ WIREHUB_RETENTION_DAYS: '7' }).retentionDays).toBe(7);
    for (const bad of ['0', '366', '2.5', 'week']) {
      expect(() => loadConfig({ WIREHUB_RETENTION_DAYS: bad }), bad).toThrow(/WIREHUB_RETENTION_DAYS: must be/);
    }
  });

  it('reads a hex secret key, disables the demo in production, strips a trailing slash', () => {
    const c = loadConfig({ WIREHUB_SECRET_KEY: 'ab'.repeat(32), NODE_ENV: 'production', PUBLIC_URL: 'https://hooks.example.com/' });
    expect(c.secretKey?.length).toBe(32);
    expect(c.demoEnabled).toBe(false);
    expect(c.publicUrl).toBe('https://hooks.example.com');
    expect(loadConfig({ NODE_ENV: 'production', WIREHUB_DEMO: 'true' }).demoEnabled).toBe(true);
  });
});

import { ConfigError, loadConfig } from './config.ts';
import { createProcessLogger } from './core/logger.ts';
import { startWirehub } from './app.ts';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
const log = await createProcessLogger(config.logLevel);
const hub = await startWirehub(config, log).catch((err: Error) => {
  log.fatal({ err: err.message }, 'wirehub could not start');
  process.exit(1);
});

/**
 * SIGTERM (or Ctrl+C): no new connection is accepted, requests in progress are answered, the
 * lanes claim nothing more and their deliveries in flight end and are recorded, then the process
 * exits 0 (hub.close). Past WIREHUB_SHUTDOWN_TIMEOUT_MS it exits 1 anyway: what it was still
 * delivering is released with its database session (on PostgreSQL the worker that takes the lane
 * clears the leases; the embedded database clears them at the next start) and delivered again.
 * A second signal exits at once.
 */
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    const started = Date.now();
    const timeoutMs = config.shutdownTimeoutMs;
    log.info({ signal, timeout_ms: timeoutMs }, 'shutting down: answering requests and finishing deliveries in flight');
    setTimeout(() => {
      log.error(
        { timeout_ms: timeoutMs },
        'shutdown took longer than WIREHUB_SHUTDOWN_TIMEOUT_MS; exiting: deliveries not yet recorded will be delivered again',
      );
      process.exit(1);
    }, timeoutMs).unref();
    hub.close().then(
      () => {
        log.info({ ms: Date.now() - started }, 'stopped');
        process.exit(0);
      },
      (err: Error) => {
        log.error({ err: err.message }, 'unclean shutdown');
        process.exit(1);
      },
    );
  });
}

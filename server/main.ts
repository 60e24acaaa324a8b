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

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'shutting down: finishing deliveries in flight');
    hub.close().then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ err: err.message }, 'unclean shutdown');
        process.exit(1);
      },
    );
  });
}

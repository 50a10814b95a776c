/**
 * Entry point (bundled to dist/server.js).
 *   node dist/server.js          serve
 *   node dist/server.js migrate  apply migrations and exit 0
 *   node dist/server.js check    one round of requests at PREVIEW_URL, judged (src/check.ts); needs no other settings
 * Runs as PID 1 in the container: it handles SIGTERM/SIGINT itself.
 *
 * Tracing starts before the application is loaded: the OpenTelemetry instrumentations patch `http`,
 * `pg` and `ioredis` as they are required, so everything that uses them is imported afterwards
 * (the dynamic imports below, which the bundle keeps lazy; ECMAScript imports name the file with .js).
 */
import { performance } from 'node:perf_hooks';
import { ConfigError, loadConfig, type Config } from './config';
import { createLogger } from './logger';
import { startTelemetry } from './telemetry';

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`sample-service: ${err.message}\nSee services/sample/README.md for every setting.\n`);
      process.exit(1);
    }
    throw err;
  }
}

async function runMigrate(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel, undefined, config.telemetry.serviceName);
  const [{ default: pg }, { poolConfig }, { migrate }] = await Promise.all([import('pg'), import('./db.js'), import('./migrate.js')]);
  const pool = new pg.Pool({ ...poolConfig(config.database, config.awsRegion), max: 1, statement_timeout: 0, query_timeout: 0, lock_timeout: 0 });
  try {
    await migrate(pool, config.database.schema, logger);
  } finally {
    await pool.end();
  }
}

async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel, undefined, config.telemetry.serviceName);
  const telemetry = startTelemetry(config.telemetry, logger);
  const { createService } = await import('./app.js');
  const service = createService(config, logger, telemetry);
  const address = await service.listen();
  logger.info({ address, startupMs: Math.round(performance.now()), tracing: telemetry.enabled }, 'listening');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: readiness off, draining');
    const deadline = setTimeout(() => {
      logger.error('shutdown deadline exceeded; exiting');
      process.exit(1);
    }, config.shutdown.timeoutMs);
    deadline.unref();
    service
      .stop()
      .then(() => telemetry.shutdown())
      .then(
        () => {
          logger.info('shutdown complete');
          process.exit(0);
        },
        (err: Error) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

const command = process.argv[2] ?? 'serve';
if (command === 'check') {
  // Only HTTP to another instance: none of the service's own settings are needed, so none are read.
  import('./check.js').then(({ checkCommand }) => checkCommand(process.env)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`sample-service: check: ${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
} else {
  runService(command);
}

function runService(command: string): void {
  const config = readConfig();
  const run = command === 'migrate' ? runMigrate(config).then(() => process.exit(0)) : command === 'serve' ? serve(config) : undefined;
  if (run === undefined) {
    process.stderr.write(`sample-service: unknown command "${command}" (expected "serve", "migrate" or "check")\n`);
    process.exit(2);
  }
  run.catch((err: Error) => {
    process.stderr.write(`sample-service: fatal: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}

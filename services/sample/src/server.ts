/**
 * Entry point (bundled to dist/server.js).
 *   node dist/server.js          serve
 *   node dist/server.js migrate  apply migrations and exit 0
 * Runs as PID 1 in the container: it handles SIGTERM/SIGINT itself.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createService } from './app';
import { ConfigError, loadConfig, type Config } from './config';
import { poolConfig } from './db';
import { createLogger } from './logger';
import { migrate } from './migrate';
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
  const logger = createLogger(config.logLevel);
  const pool = new pg.Pool({ ...poolConfig(config.database, config.awsRegion), max: 1, statement_timeout: 0, query_timeout: 0, lock_timeout: 0 });
  try {
    await migrate(pool, config.database.schema, logger);
  } finally {
    await pool.end();
    logger.flush();
  }
}

async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  // A lost batch is logged (at most one line per batch: a few per second at worst) and counted in trace_spans_total.
  const telemetry = startTelemetry(config.telemetry, (loss) =>
    logger.warn({ spans: loss.spans, reason: loss.reason, err: loss.error?.message }, 'trace spans lost'),
  );
  const service = createService(config, logger, telemetry);
  const address = await service.listen();
  logger.info({ address, startupMs: Math.round(performance.now()) }, 'listening');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: readiness off, draining');
    const deadline = setTimeout(() => {
      logger.error('shutdown deadline exceeded; exiting');
      logger.flush();
      process.exit(1);
    }, config.shutdown.timeoutMs);
    deadline.unref();
    service
      .stop()
      .then(() => telemetry.shutdown())
      .then(
        () => {
          logger.info('shutdown complete');
          logger.flush();
          process.exit(0);
        },
        (err: Error) => {
          logger.error({ err }, 'shutdown failed');
          logger.flush();
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

const command = process.argv[2] ?? 'serve';
const config = readConfig();
const run = command === 'migrate' ? runMigrate(config).then(() => process.exit(0)) : command === 'serve' ? serve(config) : undefined;
if (run === undefined) {
  process.stderr.write(`sample-service: unknown command "${command}" (expected "serve" or "migrate")\n`);
  process.exit(2);
}
run.catch((err: Error) => {
  process.stderr.write(`sample-service: fatal: ${err.stack ?? err.message}\n`);
  process.exit(1);
});

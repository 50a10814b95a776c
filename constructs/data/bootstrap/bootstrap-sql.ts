/**
 * The SQL that prepares an Aurora PostgreSQL database for IAM-only application access.
 *
 * Pure logic over a minimal client interface so it runs unchanged in the bootstrap Lambda (with
 * `pg`) and in tests against a real Postgres. Every statement is idempotent, and the whole run
 * holds a transaction-scoped advisory lock, so running it twice or concurrently converges on the
 * same state without errors.
 */

/** The part of a `pg` client the bootstrap needs. */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

export interface BootstrapRequest {
  /** Login role the application connects as, with an IAM token (`rds_iam`), never a password. */
  readonly roleName: string;
  /** Schema created for and owned by the application role. */
  readonly schemaName: string;
}

export interface BootstrapResult {
  /** True when this run created the role (false when it existed already). */
  readonly roleCreated: boolean;
  /** True when this run created the schema (false when it existed already). */
  readonly schemaCreated: boolean;
}

/** Identifiers we accept: lowercase, unquoted-safe, not reserved by Postgres or RDS. */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const RESERVED_PREFIXES = ['pg_', 'rds', 'aws_'];
const RESERVED_NAMES = ['public', 'postgres', 'information_schema', 'rdsadmin'];

/** Lock key serializing concurrent bootstrap runs on one database. */
export const BOOTSTRAP_LOCK_KEY = 'zero-trust-platform:database-bootstrap';

/** Throws with a clear message when `name` is not a safe identifier for `what`. */
export function assertSafeIdentifier(what: string, name: string): void {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) {
    throw new Error(`${what} is ${JSON.stringify(name)}: must be 1-63 characters of lowercase letters, digits and underscores, starting with a letter or underscore. Fix: use e.g. "app".`);
  }
  if (RESERVED_NAMES.includes(name) || RESERVED_PREFIXES.some((prefix) => name.startsWith(prefix))) {
    throw new Error(`${what} is ${JSON.stringify(name)}: names ${RESERVED_NAMES.join(', ')} and prefixes ${RESERVED_PREFIXES.join(', ')} are reserved by PostgreSQL or RDS. Fix: choose an application name such as "app".`);
  }
}

/** Quotes a validated identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Creates (or converges) the application login role with `rds_iam` and the schema it owns.
 * Never drops anything and never sets a password: the role can only log in with an IAM token.
 */
export async function bootstrapDatabase(client: SqlClient, request: BootstrapRequest): Promise<BootstrapResult> {
  assertSafeIdentifier('roleName', request.roleName);
  assertSafeIdentifier('schemaName', request.schemaName);
  const role = quoteIdentifier(request.roleName);
  const schema = quoteIdentifier(request.schemaName);

  await client.query('BEGIN');
  try {
    // Serializes concurrent runs; released at COMMIT/ROLLBACK.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [BOOTSTRAP_LOCK_KEY]);

    const roleExists = await exists(client, 'SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1', [request.roleName]);
    if (!roleExists) await client.query(`CREATE ROLE ${role} LOGIN`);
    // Converge attributes even when the role existed: no privileges beyond its own schema, no password.
    await client.query(`ALTER ROLE ${role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD NULL`);
    await client.query(`GRANT rds_iam TO ${role}`);
    // The bootstrapping user must be a member to create a schema owned by the role (PostgreSQL 16+ rules).
    if (!(await exists(client, 'SELECT 1 WHERE pg_catalog.pg_has_role(current_user, $1, \'MEMBER\')', [request.roleName]))) {
      await client.query(`GRANT ${role} TO CURRENT_USER`);
    }
    const database = await client.query('SELECT current_database() AS name');
    await client.query(`GRANT CONNECT ON DATABASE ${quoteIdentifier(String(database.rows[0].name))} TO ${role}`);

    const schemaExists = await exists(client, 'SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1', [request.schemaName]);
    if (schemaExists) {
      await client.query(`ALTER SCHEMA ${schema} OWNER TO ${role}`);
    } else {
      await client.query(`CREATE SCHEMA ${schema} AUTHORIZATION ${role}`);
    }
    await client.query(`ALTER ROLE ${role} SET search_path = ${schema}`);
    await client.query('COMMIT');
    return { roleCreated: !roleExists, schemaCreated: !schemaExists };
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

async function exists(client: SqlClient, text: string, values: unknown[]): Promise<boolean> {
  return (await client.query(text, values)).rows.length > 0;
}

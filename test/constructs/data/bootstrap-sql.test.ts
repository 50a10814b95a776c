import { Client } from 'pg';
import { assertSafeIdentifier, bootstrapDatabase } from '../../../constructs/data/bootstrap/bootstrap-sql';

/**
 * Runs the bootstrap SQL against the real local Postgres (127.0.0.1:5432, database `test`,
 * user `postgres`, trust auth), with unique role and schema names per run, cleaned up after.
 */
const connection = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
const suffix = `${process.pid}_${Date.now().toString(36)}`;
const created: { roles: string[]; schemas: string[] } = { roles: [], schemas: [] };
let admin: Client;

async function connect(): Promise<Client> {
  const client = new Client(connection);
  await client.connect();
  return client;
}

function names(label: string): { roleName: string; schemaName: string } {
  const roleName = `ztp_${label}_role_${suffix}`;
  const schemaName = `ztp_${label}_schema_${suffix}`;
  created.roles.push(roleName);
  created.schemas.push(schemaName);
  return { roleName, schemaName };
}

async function roleOf(roleName: string) {
  const { rows } = await admin.query(
    `SELECT r.rolcanlogin, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolpassword IS NULL AS no_password,
            pg_has_role(r.oid, 'rds_iam', 'MEMBER') AS rds_iam, v.rolconfig
       FROM pg_authid r JOIN pg_roles v ON v.oid = r.oid WHERE r.rolname = $1`,
    [roleName],
  );
  return rows;
}

async function schemaOwner(schemaName: string): Promise<string | undefined> {
  const { rows } = await admin.query('SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = $1', [schemaName]);
  return rows[0]?.owner;
}

beforeAll(async () => {
  admin = await connect();
  // RDS provides rds_iam; a plain Postgres does not.
  await admin.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN CREATE ROLE rds_iam NOLOGIN; END IF; END $$`);
});

afterAll(async () => {
  for (const schema of created.schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  for (const role of created.roles) {
    const { rows } = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (rows.length === 0) continue;
    await admin.query(`DROP OWNED BY "${role}" CASCADE`);
    await admin.query(`DROP ROLE "${role}"`);
  }
  await admin.end();
});

describe('bootstrapDatabase against a real Postgres', () => {
  test('creates an IAM-only login role with rds_iam and a schema it owns', async () => {
    // GIVEN
    const request = names('first');
    const client = await connect();
    try {
      // WHEN
      const result = await bootstrapDatabase(client, request);
      // THEN
      expect(result).toEqual({ roleCreated: true, schemaCreated: true });
      expect(await roleOf(request.roleName)).toEqual([{
        rolcanlogin: true,
        rolsuper: false,
        rolcreatedb: false,
        rolcreaterole: false,
        no_password: true,
        rds_iam: true,
        rolconfig: [`search_path=${request.schemaName}`],
      }]);
      expect(await schemaOwner(request.schemaName)).toBe(request.roleName);
    } finally {
      await client.end();
    }
  });

  test('is idempotent: a second run changes nothing and reports nothing created', async () => {
    // GIVEN
    const request = names('twice');
    const client = await connect();
    try {
      await bootstrapDatabase(client, request);
      const before = await roleOf(request.roleName);
      // WHEN
      const second = await bootstrapDatabase(client, request);
      // THEN
      expect(second).toEqual({ roleCreated: false, schemaCreated: false });
      expect(await roleOf(request.roleName)).toEqual(before);
      expect(await schemaOwner(request.schemaName)).toBe(request.roleName);
    } finally {
      await client.end();
    }
  });

  test('concurrent runs on separate connections all succeed and create the role exactly once', async () => {
    // GIVEN
    const request = names('concurrent');
    const clients = await Promise.all([connect(), connect(), connect(), connect()]);
    try {
      // WHEN
      const results = await Promise.all(clients.map((client) => bootstrapDatabase(client, request)));
      // THEN
      expect(results.filter((r) => r.roleCreated)).toHaveLength(1);
      expect(results.filter((r) => r.schemaCreated)).toHaveLength(1);
      expect(await roleOf(request.roleName)).toHaveLength(1);
      expect(await schemaOwner(request.schemaName)).toBe(request.roleName);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  test('converges drift: a password set out of band is removed and a pre-existing schema is handed to the role', async () => {
    // GIVEN a role that was given a password and a schema owned by someone else
    const request = names('drift');
    await admin.query(`CREATE ROLE "${request.roleName}" LOGIN PASSWORD 'not-allowed'`);
    await admin.query(`CREATE SCHEMA "${request.schemaName}"`);
    const client = await connect();
    try {
      // WHEN
      const result = await bootstrapDatabase(client, request);
      // THEN
      expect(result).toEqual({ roleCreated: false, schemaCreated: false });
      expect((await roleOf(request.roleName))[0]).toMatchObject({ no_password: true, rds_iam: true });
      expect(await schemaOwner(request.schemaName)).toBe(request.roleName);
    } finally {
      await client.end();
    }
  });

  test('rolls back and leaves no session lock behind when a statement fails', async () => {
    // GIVEN a client that fails on the schema step
    const request = names('rollback');
    const client = await connect();
    const failing = {
      query: (text: string, values?: unknown[]) =>
        text.startsWith('CREATE SCHEMA') ? Promise.reject(new Error('injected failure')) : client.query(text, values),
    };
    try {
      // WHEN / THEN
      await expect(bootstrapDatabase(failing, request)).rejects.toThrow('injected failure');
      expect(await roleOf(request.roleName)).toHaveLength(0);
      // The lock was transaction-scoped: a normal run afterwards succeeds.
      await expect(bootstrapDatabase(client, request)).resolves.toEqual({ roleCreated: true, schemaCreated: true });
    } finally {
      await client.end();
    }
  });
});

describe('identifier validation', () => {
  test.each([
    ['App', 'must be 1-63 characters of lowercase letters, digits and underscores, starting with a letter or underscore. Fix: use e.g. "app".'],
    ['app; DROP TABLE x', 'must be 1-63 characters of lowercase letters, digits and underscores, starting with a letter or underscore. Fix: use e.g. "app".'],
    ['', 'must be 1-63 characters of lowercase letters, digits and underscores, starting with a letter or underscore. Fix: use e.g. "app".'],
    ['a'.repeat(64), 'must be 1-63 characters of lowercase letters, digits and underscores, starting with a letter or underscore. Fix: use e.g. "app".'],
    ['pg_app', 'names public, postgres, information_schema, rdsadmin and prefixes pg_, rds, aws_ are reserved by PostgreSQL or RDS. Fix: choose an application name such as "app".'],
    ['rds_iam', 'names public, postgres, information_schema, rdsadmin and prefixes pg_, rds, aws_ are reserved by PostgreSQL or RDS. Fix: choose an application name such as "app".'],
    ['postgres', 'names public, postgres, information_schema, rdsadmin and prefixes pg_, rds, aws_ are reserved by PostgreSQL or RDS. Fix: choose an application name such as "app".'],
  ])('rejects %j', (name, message) => {
    expect(() => assertSafeIdentifier('roleName', name)).toThrow(`roleName is ${JSON.stringify(name)}: ${message}`);
  });

  test('rejects a bad name before touching the database', async () => {
    const client = { query: jest.fn() };
    await expect(bootstrapDatabase(client, { roleName: 'app', schemaName: 'Bad-Name' })).rejects.toThrow('schemaName is "Bad-Name"');
    expect(client.query).not.toHaveBeenCalled();
  });
});

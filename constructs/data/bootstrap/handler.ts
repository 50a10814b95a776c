/**
 * Custom-resource handler (invoked by the CDK provider framework) that bootstraps the
 * application role and schema of an Aurora PostgreSQL cluster. Runs in the isolated subnets:
 * reads the RDS-managed master secret through the Secrets Manager VPC endpoint, connects over
 * TLS (certificate verified against the RDS CA bundle of the Lambda runtime) and runs the
 * idempotent SQL of `bootstrap-sql.ts`. Delete never drops anything: data outlives the stack.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Client } from 'pg';
import { bootstrapDatabase } from './bootstrap-sql';

/** Resource properties set by the `DatabaseBootstrap` construct. */
interface BootstrapProperties {
  readonly RoleName: string;
  readonly SchemaName: string;
}

interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: BootstrapProperties;
}

interface CustomResourceResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

const secrets = new SecretsManagerClient({});

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

export async function handler(event: CustomResourceEvent): Promise<CustomResourceResponse> {
  const { RoleName: roleName, SchemaName: schemaName } = event.ResourceProperties;
  const physicalResourceId = `${roleName}@${schemaName}`;
  if (event.RequestType === 'Delete') {
    // Never drop the role or schema: they own application data.
    return { PhysicalResourceId: event.PhysicalResourceId ?? physicalResourceId };
  }

  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: requiredEnv('MASTER_SECRET_ARN') }));
  const { username, password } = JSON.parse(secret.SecretString ?? '{}') as { username?: string; password?: string };
  if (!username || !password) throw new Error('master secret has no username/password');

  const client = new Client({
    host: requiredEnv('DB_HOST'),
    port: Number(requiredEnv('DB_PORT')),
    database: requiredEnv('DB_NAME'),
    user: username,
    password,
    ssl: { rejectUnauthorized: true },
    connectionTimeoutMillis: 10_000,
    statement_timeout: 60_000,
  });
  await client.connect();
  try {
    const result = await bootstrapDatabase(client, { roleName, schemaName });
    console.log(JSON.stringify({ message: 'database bootstrapped', roleName, schemaName, ...result }));
    return { PhysicalResourceId: physicalResourceId, Data: { RoleName: roleName, SchemaName: schemaName } };
  } finally {
    await client.end();
  }
}

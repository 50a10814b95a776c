import { isRfc1918, parseIpv4Cidr, POSTGRES_BACKUP_RETENTION_DAYS } from '@zero-trust/platform-constructs';
import type { PipelineConfig, PlatformConfig } from './platform-config';
import { dockerHubCredentialSecretName, MAX_NAT_EXCEPTION_DAYS, PROD_MIN_AZS, PROD_MIN_CACHE_REPLICAS, PROD_MIN_POSTGRES_READERS } from './policy';
import { messageOf, pipelineConfigSchema, platformConfigSchema, problemLine, schemaProblems, type SectionSource } from './schema';

export { isRfc1918, parseIpv4Cidr };

/** Thrown when the configuration cannot produce a safe, deployable platform. */
export class PlatformConfigError extends Error {
  constructor(readonly envName: string, readonly problems: string[]) {
    super(
      `Invalid platform configuration for env "${envName}" (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.name = 'PlatformConfigError';
  }
}

/** Where an environment's settings are read from, for messages. */
export function platformSource(envName: string): SectionSource {
  return { path: `platform.${envName}`, where: `cdk.json context "platform" -> "${envName}"` };
}

/** Where the pipeline's settings are read from, for messages. */
export const PIPELINE_SOURCE: SectionSource = { path: 'pipeline', where: 'cdk.json context "pipeline"' };

/** True when no problem was found at `path`, above it or below it. */
function validAt(invalidPaths: readonly string[], path: string): boolean {
  return !invalidPaths.some((p) => p === path || p.startsWith(`${path}.`) || path.startsWith(`${p}.`));
}

/**
 * Every problem with one environment's configuration (defaults with its context section merged
 * in): the schema (unknown settings, types, values), then the product policy across settings.
 * Each problem names the setting, the value given and the fix.
 *
 * @param today the day dated settings (`network.natException.expires`) are checked against
 */
export function platformConfigProblems(config: unknown, today: Date = new Date()): string[] {
  const envName = String((config as Partial<PlatformConfig> | undefined)?.envName);
  const source = platformSource(envName);
  const { problems, invalidPaths } = schemaProblems(platformConfigSchema, config, source);
  const valid = (...paths: string[]) => paths.every((p) => validAt(invalidPaths, p));
  const problem = (setting: string, value: unknown, expected: string, fix: string) =>
    problems.push(problemLine(`${source.path}.${setting}`, value, messageOf({ expected, fix }), source.where));
  const c = config as PlatformConfig;
  const isProd = envName === 'prod';

  // Set together, and where they meet.
  if (valid('account', 'region') && (c.account === undefined) !== (c.region === undefined)) {
    problem('account/region', { account: c.account, region: c.region }, 'must be set together or not at all', 'set both account and region, or neither');
  }
  if (valid('network.availabilityZones', 'network.maxAzs', 'region')) {
    const { availabilityZones, maxAzs } = c.network;
    if (availabilityZones !== undefined) {
      if (c.region && availabilityZones.some((az) => !az.startsWith(c.region!))) {
        problem('network.availabilityZones', availabilityZones, `must all be in region ${c.region}`, `use zones such as "${c.region}a"`);
      }
    } else if (c.region !== undefined) {
      problem('network.availabilityZones', undefined, 'is required when region is set, so synth never looks zones up in the account',
        `list ${maxAzs} zones, e.g. ["${c.region}a", "${c.region}b"${maxAzs > 2 ? `, "${c.region}c"` : ''}]`);
    }
  }
  if (valid('cluster.endpointAccess', 'cluster.publicAccessCidrs')) {
    const { endpointAccess, publicAccessCidrs } = c.cluster;
    if (endpointAccess === 'private' && publicAccessCidrs.length > 0) {
      problem('cluster.publicAccessCidrs', publicAccessCidrs, 'must be empty when cluster.endpointAccess is "private"', 'remove the CIDRs, or set cluster.endpointAccess to "public-and-private"');
    } else if (endpointAccess === 'public-and-private' && publicAccessCidrs.length === 0) {
      problem('cluster.publicAccessCidrs', publicAccessCidrs, 'must list the CIDRs allowed to reach the public API endpoint (an empty list would open it to the internet)',
        'list your office or VPN egress CIDRs, e.g. ["203.0.113.0/24"], or use endpointAccess "private"');
    }
  }
  if (valid('mesh.ingress.scheme', 'mesh.ingress.allowedCidrs')) {
    const { scheme, allowedCidrs } = c.mesh.ingress;
    if (scheme === 'internet-facing' && allowedCidrs.length === 0) {
      problem('mesh.ingress.allowedCidrs', allowedCidrs, 'must list the client CIDRs allowed to reach an internet-facing gateway (an empty list would open it to the internet)',
        'list your clients\' CIDRs, e.g. ["203.0.113.0/24"], or use scheme "internal"');
    } else if (scheme === 'internal' && allowedCidrs.length > 0) {
      problem('mesh.ingress.allowedCidrs', allowedCidrs, 'must be empty when mesh.ingress.scheme is "internal" (the internal gateway admits the VPC CIDR only)',
        'remove the CIDRs, or set mesh.ingress.scheme to "internet-facing"');
    }
  }
  if (valid('security.keyAdminRoleArns', 'account') && c.account !== undefined) {
    c.security.keyAdminRoleArns.forEach((arn, index) => {
      const account = /^arn:[^:]+:iam::(\d{12}):/.exec(arn)?.[1];
      if (account !== c.account) {
        problem(`security.keyAdminRoleArns[${index}]`, arn, `must be a role of the environment's account ${c.account}: a key policy lets only its own account's principals administer the key`,
          `use a role of account ${c.account}`);
      }
    });
  }
  if (valid('workloads.sample.namespace', 'cluster.namespaces')) {
    const names = c.cluster.namespaces.map((ns) => ns.name);
    if (!names.includes(c.workloads.sample.namespace)) {
      problem('workloads.sample.namespace', c.workloads.sample.namespace, `must be one of the application namespaces in cluster.namespaces (${names.join(', ') || 'none'}), which carry the guardrails`,
        'use one of those, or add it to cluster.namespaces');
    }
  }

  if (valid('registries.dockerHubCredentialArn', 'account', 'region') && c.registries.dockerHubCredentialArn !== undefined) {
    // arn:<partition>:secretsmanager:<region>:<account>:secret:<name>
    const [, , , secretRegion, secretAccount] = c.registries.dockerHubCredentialArn.split(':');
    const mismatch = [c.region !== undefined && secretRegion !== c.region ? `region ${secretRegion} (not ${c.region})` : '', c.account !== undefined && secretAccount !== c.account ? `account ${secretAccount} (not ${c.account})` : ''].filter(Boolean);
    if (mismatch.length > 0) {
      problem('registries.dockerHubCredentialArn', c.registries.dockerHubCredentialArn, `is in ${mismatch.join(' and ')}: ECR reads a pull through cache secret of its own account and region only`,
        `create the secret in the environment's account and region (or remove the setting to use ${JSON.stringify(dockerHubCredentialSecretName(c.name))} there)`);
    }
  }

  if (!isProd && valid('network.natException') && c.network.natException !== undefined) {
    problem('network.natException', c.network.natException, 'is only for prod, where NAT gateways need one; other environments choose network.natGateways freely', 'remove network.natException');
  }

  // What prod must be.
  if (isProd) {
    const maxAzs = c.network?.maxAzs;
    if (valid('network.maxAzs') && maxAzs < PROD_MIN_AZS) {
      problem('network.maxAzs', maxAzs, `must be at least ${PROD_MIN_AZS} in prod so losing one AZ leaves a majority of capacity`, `set network.maxAzs to ${PROD_MIN_AZS}`);
    }
    if (valid('network.natGateways', 'network.natException', 'network.maxAzs')) natInProdProblems(c, maxAzs, today, problem);
    if (valid('cluster.endpointAccess') && c.cluster.endpointAccess !== 'private') {
      problem('cluster.endpointAccess', c.cluster.endpointAccess, 'must be "private" in prod: the API server is reached through the VPC (VPN, bastion or pipeline)', 'set cluster.endpointAccess to "private"');
    }
    if (valid('cluster.nodePool', 'network.maxAzs') && c.cluster.nodePool.minSize < maxAzs) {
      problem('cluster.nodePool.minSize', c.cluster.nodePool.minSize, `must be at least network.maxAzs (${maxAzs}) in prod, one node per AZ`, `set cluster.nodePool.minSize to ${maxAzs}`);
    }
    if (valid('data.postgres.readers') && c.data.postgres.readers < PROD_MIN_POSTGRES_READERS) {
      problem('data.postgres.readers', c.data.postgres.readers, `must be at least ${PROD_MIN_POSTGRES_READERS} in prod so a failover still leaves a reader`, `set data.postgres.readers to ${PROD_MIN_POSTGRES_READERS}`);
    }
    const longestBackup = POSTGRES_BACKUP_RETENTION_DAYS.max;
    if (valid('data.postgres.backupRetentionDays') && c.data.postgres.backupRetentionDays !== longestBackup) {
      problem('data.postgres.backupRetentionDays', c.data.postgres.backupRetentionDays, `must be ${longestBackup} in prod (the longest point-in-time recovery window)`, `set data.postgres.backupRetentionDays to ${longestBackup}`);
    }
    if (valid('data.cache.nodeType') && /^cache\.t\d/.test(c.data.cache.nodeType)) {
      problem('data.cache.nodeType', c.data.cache.nodeType, 'must not be a burstable (t) node type in prod', 'use e.g. "cache.r7g.large"');
    }
    if (valid('data.cache.replicas') && c.data.cache.replicas < PROD_MIN_CACHE_REPLICAS) {
      problem('data.cache.replicas', c.data.cache.replicas, `must be at least ${PROD_MIN_CACHE_REPLICAS} in prod so a failover still leaves a replica`, `set data.cache.replicas to ${PROD_MIN_CACHE_REPLICAS}`);
    }
    if (valid('workloads.sample.delivery') && c.workloads.sample.delivery === 'rolling') {
      problem('workloads.sample.delivery', c.workloads.sample.delivery, 'must be progressive in prod ("canary" or "blue-green"): a bad version is caught by analysis and rolled back automatically',
        'set workloads.sample.delivery to "canary"');
    }
    if (valid('removalPolicy') && c.removalPolicy !== 'retain') {
      problem('removalPolicy', c.removalPolicy, 'must be "retain" in prod: production data is never deleted by a stack change', 'set removalPolicy to "retain"');
    }
  }
  return problems;
}

/**
 * Checks a whole configuration and throws one `PlatformConfigError` listing every problem,
 * each naming the setting, the value given and the fix.
 */
export function validatePlatformConfig(config: PlatformConfig): PlatformConfig {
  const problems = platformConfigProblems(config);
  if (problems.length > 0) throw new PlatformConfigError(config.envName, problems);
  return config;
}

// --- Pipeline --------------------------------------------------------------------------------

/** Thrown when the `pipeline` context section cannot produce a safe delivery pipeline. */
export class PipelineConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid pipeline configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.name = 'PipelineConfigError';
  }
}

const SMOKE_URL = /^https:\/\/[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d{1,5})?$/;

/**
 * Every problem with the pipeline section (defaults merged in), checked against the (valid)
 * configurations of the environments it deploys: the schema, then the rules across settings.
 */
export function pipelineConfigProblems(pipeline: unknown, environments: readonly PlatformConfig[], knownEnvironments: readonly string[]): string[] {
  const { problems, invalidPaths } = schemaProblems(pipelineConfigSchema, pipeline, PIPELINE_SOURCE);
  const valid = (...paths: string[]) => paths.every((p) => validAt(invalidPaths, p));
  const problem = (setting: string, value: unknown, expected: string, fix: string) =>
    problems.push(problemLine(`pipeline.${setting}`, value, messageOf({ expected, fix }), PIPELINE_SOURCE.where));
  const p = pipeline as PipelineConfig;

  if (valid('account', 'region') && (p.account === undefined) !== (p.region === undefined)) {
    problem('account/region', { account: p.account, region: p.region }, 'must be set together or not at all', 'set both, or neither to use the first environment\'s');
  }

  const names = valid('environments') ? p.environments : [];
  const seen = new Set<string>();
  for (const name of names) {
    if (!knownEnvironments.includes(name)) {
      problem('environments', name, `is not a known environment (${knownEnvironments.join(', ')})`, 'list only environments defined in lib/config/environments.ts');
    } else if (seen.has(name)) {
      problem('environments', names, `lists "${name}" twice`, 'list each environment once, in deployment order');
    }
    seen.add(name);
  }
  if (names.includes('prod') && names[names.length - 1] !== 'prod') {
    problem('environments', names, 'must deploy prod last, after every environment that tests a change first', `move "prod" to the end: ${JSON.stringify([...names.filter((n) => n !== 'prod'), 'prod'])}`);
  }

  const pipelineRegion = (valid('region') ? p.region : undefined) ?? environments[0]?.region;
  for (const env of environments) {
    const where = platformSource(env.envName).where;
    if (env.account === undefined || env.region === undefined) {
      problems.push(
        `platform.${env.envName}.account/region is ${JSON.stringify({ account: env.account, region: env.region })}: the pipeline deploys "${env.envName}" and needs its account and region (and network.availabilityZones). ` +
          `Fix: set account, region and network.availabilityZones (in ${where} or with -c).`,
      );
    } else if (pipelineRegion !== undefined && env.region !== pipelineRegion) {
      problems.push(
        `platform.${env.envName}.region is "${env.region}": must be the pipeline region "${pipelineRegion}" (cross-region deployment and image pulls are not supported). ` +
          `Fix: deploy "${env.envName}" in ${pipelineRegion}, or run a pipeline per region (in ${where} or with -c).`,
      );
    }
  }

  if (valid('smokeTestBaseUrls')) {
    const urls = p.smokeTestBaseUrls ?? {};
    for (const name of names) {
      const url = urls[name];
      // A missing URL defaults to the environment's host; an environment that did not resolve has its own problems.
      if (url === undefined && !environments.some((env) => env.envName === name)) continue;
      if (typeof url !== 'string' || !SMOKE_URL.test(url)) {
        problem(`smokeTestBaseUrls.${name}`, url, 'must be the https:// base URL (scheme and host, no path) of the environment\'s internal gateway',
          `set it to e.g. "https://orders.${name}.internal.example.com"`);
      }
    }
    for (const name of Object.keys(urls)) {
      if (!names.includes(name)) {
        problem(`smokeTestBaseUrls.${name}`, urls[name], `names an environment the pipeline does not deploy (${names.join(', ') || 'none'})`, `remove it or add "${name}" to pipeline.environments`);
      }
    }
  }
  return problems;
}

/**
 * Checks the pipeline section against the (already validated) configurations of the
 * environments it deploys, and throws one `PipelineConfigError` listing every problem, each
 * naming the setting, the value given and the fix.
 */
export function validatePipelineConfig(pipeline: PipelineConfig, environments: readonly PlatformConfig[], knownEnvironments: readonly string[]): PipelineConfig {
  const problems = pipelineConfigProblems(pipeline, environments, knownEnvironments);
  if (problems.length > 0) throw new PipelineConfigError(problems);
  return pipeline;
}

/**
 * prod has no route to the internet (docs/adr/0020-no-route-out.md): no NAT gateway, unless
 * `network.natException` says what needs one and until when (at most MAX_NAT_EXCEPTION_DAYS out);
 * then one per AZ, so no zone depends on another's.
 */
function natInProdProblems(c: PlatformConfig, maxAzs: number, today: Date, problem: (setting: string, value: unknown, expected: string, fix: string) => void): void {
  const { natGateways, natException } = c.network;
  if (natGateways === 0) {
    if (natException !== undefined) {
      problem('network.natException', natException, 'is set, but prod has no NAT gateway (network.natGateways is 0): there is nothing to excuse', 'remove network.natException');
    }
    return;
  }
  if (natException === undefined) {
    problem('network.natGateways', natGateways,
      'must be 0 in prod: the cluster has no route to the internet (AWS APIs through the VPC endpoints, images and charts from private ECR; docs/adr/0020-no-route-out.md lists what used to need it)',
      `set network.natGateways to 0; only if something in prod truly needs the internet, keep ${maxAzs} NAT gateways (one per AZ) and add network.natException { "reason": "<what needs the internet and why no endpoint or mirror serves it>", "expires": "<YYYY-MM-DD, at most ${MAX_NAT_EXCEPTION_DAYS} days out>" }`);
    return;
  }
  if (natGateways !== maxAzs) {
    problem('network.natGateways', natGateways, `must equal network.maxAzs (${maxAzs}) in prod when NAT gateways are excepted: one NAT gateway per AZ, no cross-AZ dependency`, `set network.natGateways to ${maxAzs}`);
  }
  const day = today.toISOString().slice(0, 10);
  const latest = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + MAX_NAT_EXCEPTION_DAYS)).toISOString().slice(0, 10);
  if (natException.expires < day) {
    problem('network.natException.expires', natException.expires, `has passed (today is ${day}): the exception no longer holds`,
      `remove the NAT gateways (network.natGateways 0) and the exception, or renew it after review with a new date at most ${MAX_NAT_EXCEPTION_DAYS} days out (by ${latest})`);
  } else if (natException.expires > latest) {
    problem('network.natException.expires', natException.expires, `is more than ${MAX_NAT_EXCEPTION_DAYS} days out (latest ${latest}): an exception to "no route out" is reviewed at least that often`,
      `set it to ${latest} or earlier`);
  }
}

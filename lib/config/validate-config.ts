import { isDns1123Label } from '../../constructs/core/validation';
import { isRfc1918, parseIpv4Cidr } from '../../constructs/network/cidr';
import { isImageDigest, isImmutableImageTag } from '../../constructs/workload/service-image';
import type { DeliveryStrategy, PipelineConfig, PlatformConfig } from './platform-config';

export { isRfc1918, parseIpv4Cidr };

const DELIVERY_STRATEGIES: readonly DeliveryStrategy[] = ['rolling', 'canary', 'blue-green'];
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** Kubernetes versions this app can deploy: each needs a matching kubectl layer package. */
export const SUPPORTED_KUBERNETES_VERSIONS: readonly string[] = ['1.36'];

/** Retention values CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** Logs are audit evidence: a year at least (Control Tower CT.CLOUDWATCH.PR.2). */
export const MIN_LOG_RETENTION_DAYS = 365;

const DATA_CLASSIFICATIONS = ['public', 'internal', 'confidential', 'restricted'];
const REMOVAL_POLICIES = ['retain', 'snapshot', 'destroy'];
const ENDPOINT_ACCESS = ['private', 'public-and-private'];
const INGRESS_SCHEMES = ['internal', 'internet-facing'];

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

const isInt = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n);

/**
 * Checks a whole configuration and throws one `PlatformConfigError` listing every problem,
 * each naming the setting, the value given and the fix.
 */
export function validatePlatformConfig(config: PlatformConfig): PlatformConfig {
  const problems: string[] = [];
  const where = `cdk.json context "platform" -> "${config.envName}"`;
  const problem = (setting: string, value: unknown, expected: string, fix: string) =>
    problems.push(`${setting} is ${JSON.stringify(value)}: ${expected}. Fix: ${fix} (in ${where} or with -c).`);
  const isProd = config.envName === 'prod';

  if (!/^[a-z][a-z0-9-]{1,19}$/.test(config.name ?? '')) {
    problem('name', config.name, 'must be 2-20 lowercase letters, digits or dashes, starting with a letter', 'set name to e.g. "ztp-dev"');
  }
  if (config.account !== undefined && !/^\d{12}$/.test(config.account)) {
    problem('account', config.account, 'must be a 12-digit AWS account id', 'set account to e.g. "123456789012" or remove it for an environment-agnostic synth');
  }
  if (config.region !== undefined && !/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/.test(config.region)) {
    problem('region', config.region, 'must be an AWS region name', 'set region to e.g. "eu-west-1"');
  }
  if ((config.account === undefined) !== (config.region === undefined)) {
    problem('account/region', { account: config.account, region: config.region }, 'must be set together or not at all', 'set both account and region, or neither');
  }

  // Network
  const net = config.network;
  const vpc = parseIpv4Cidr(net.vpcCidr);
  if (!vpc) {
    problem('network.vpcCidr', net.vpcCidr, 'is not a valid IPv4 CIDR (a.b.c.d/n with no host bits set)', 'set network.vpcCidr to e.g. "10.10.0.0/16"');
  } else if (!isRfc1918(net.vpcCidr)) {
    problem('network.vpcCidr', net.vpcCidr, 'must be a private RFC 1918 range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)', 'choose a private range such as "10.10.0.0/16"');
  } else if (vpc.prefix < 16 || vpc.prefix > 20) {
    problem('network.vpcCidr', net.vpcCidr, 'must have a prefix between /16 and /20 (room for pod IPs in every AZ)', 'use a /16 to /20 range');
  }
  if (!isInt(net.maxAzs) || net.maxAzs < 2 || net.maxAzs > 4) {
    problem('network.maxAzs', net.maxAzs, 'must be 2 to 4: EKS needs subnets in at least two Availability Zones', 'set network.maxAzs to 2 or 3');
  } else if (isProd && net.maxAzs < 3) {
    problem('network.maxAzs', net.maxAzs, 'must be at least 3 in prod so losing one AZ leaves a majority of capacity', 'set network.maxAzs to 3');
  }
  if (net.availabilityZones !== undefined) {
    if (net.availabilityZones.length !== net.maxAzs) {
      problem('network.availabilityZones', net.availabilityZones, `must list exactly network.maxAzs (${net.maxAzs}) zones`, 'list one zone name per AZ');
    }
    if (config.region && net.availabilityZones.some((az) => !az.startsWith(config.region!))) {
      problem('network.availabilityZones', net.availabilityZones, `must all be in region ${config.region}`, `use zones such as "${config.region}a"`);
    }
  } else if (config.region !== undefined) {
    problem('network.availabilityZones', undefined, 'is required when region is set, so synth never looks zones up in the account', `list ${net.maxAzs} zones, e.g. ["${config.region}a", "${config.region}b"${net.maxAzs > 2 ? `, "${config.region}c"` : ''}]`);
  }
  if (!isInt(net.natGateways) || net.natGateways < 1 || net.natGateways > net.maxAzs) {
    problem('network.natGateways', net.natGateways, `must be 1 to network.maxAzs (${net.maxAzs})`, 'set network.natGateways to 1 (dev) or one per AZ');
  } else if (isProd && net.natGateways !== net.maxAzs) {
    problem('network.natGateways', net.natGateways, `must equal network.maxAzs (${net.maxAzs}) in prod: one NAT gateway per AZ, no cross-AZ dependency`, `set network.natGateways to ${net.maxAzs}`);
  }
  if (!LOG_RETENTION_DAYS.includes(net.flowLogRetentionDays) || net.flowLogRetentionDays < MIN_LOG_RETENTION_DAYS) {
    problem('network.flowLogRetentionDays', net.flowLogRetentionDays, `must be a CloudWatch Logs retention value of at least ${MIN_LOG_RETENTION_DAYS} (${LOG_RETENTION_DAYS.filter((d) => d >= MIN_LOG_RETENTION_DAYS).join(', ')})`, 'set it to e.g. 365');
  }

  // Cluster
  const cluster = config.cluster;
  if (!SUPPORTED_KUBERNETES_VERSIONS.includes(cluster.kubernetesVersion)) {
    problem('cluster.kubernetesVersion', cluster.kubernetesVersion, `is not supported; supported: ${SUPPORTED_KUBERNETES_VERSIONS.join(', ')} (each needs its @aws-cdk/lambda-layer-kubectl-vNN package; add-on versions are EKS's choice at creation, ADR 0010)`, `set cluster.kubernetesVersion to "${SUPPORTED_KUBERNETES_VERSIONS[SUPPORTED_KUBERNETES_VERSIONS.length - 1]}"`);
  }
  if (!ENDPOINT_ACCESS.includes(cluster.endpointAccess)) {
    problem('cluster.endpointAccess', cluster.endpointAccess, `must be one of ${ENDPOINT_ACCESS.join(', ')}`, 'set cluster.endpointAccess to "private"');
  } else if (cluster.endpointAccess === 'private' && cluster.publicAccessCidrs.length > 0) {
    problem('cluster.publicAccessCidrs', cluster.publicAccessCidrs, 'must be empty when cluster.endpointAccess is "private"', 'remove the CIDRs, or set cluster.endpointAccess to "public-and-private"');
  } else if (cluster.endpointAccess === 'public-and-private') {
    if (cluster.publicAccessCidrs.length === 0) {
      problem('cluster.publicAccessCidrs', cluster.publicAccessCidrs, 'must list the CIDRs allowed to reach the public API endpoint (an empty list would open it to the internet)', 'list your office or VPN egress CIDRs, e.g. ["203.0.113.0/24"], or use endpointAccess "private"');
    }
    for (const cidr of cluster.publicAccessCidrs) {
      const parsed = parseIpv4Cidr(cidr);
      if (!parsed) {
        problem('cluster.publicAccessCidrs', cidr, 'is not a valid IPv4 CIDR', 'use a.b.c.d/n with no host bits set');
      } else if (parsed.prefix < 16) {
        problem('cluster.publicAccessCidrs', cidr, 'opens the public API endpoint to too wide a range (0.0.0.0/0 or anything wider than /16 is refused)', 'list only your egress CIDRs (/16 or narrower), or use endpointAccess "private"');
      }
    }
    if (isProd) {
      problem('cluster.endpointAccess', cluster.endpointAccess, 'must be "private" in prod: the API server is reached through the VPC (VPN, bastion or pipeline)', 'set cluster.endpointAccess to "private"');
    }
  }
  const roleArn = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/;
  for (const [setting, arns] of [['cluster.adminRoleArns', cluster.adminRoleArns], ['cluster.viewerRoleArns', cluster.viewerRoleArns]] as const) {
    for (const arn of arns) {
      if (!roleArn.test(arn)) {
        problem(setting, arn, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)', 'use the ARN of an IAM or SSO role');
      }
    }
  }
  if (!LOG_RETENTION_DAYS.includes(cluster.controlPlaneLogRetentionDays) || cluster.controlPlaneLogRetentionDays < MIN_LOG_RETENTION_DAYS) {
    problem('cluster.controlPlaneLogRetentionDays', cluster.controlPlaneLogRetentionDays, `must be a CloudWatch Logs retention value of at least ${MIN_LOG_RETENTION_DAYS}`, 'set it to e.g. 365');
  }
  const pool = cluster.nodePool;
  if (pool.instanceTypes.length === 0 || pool.instanceTypes.some((t) => !/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(t))) {
    problem('cluster.nodePool.instanceTypes', pool.instanceTypes, 'must list at least one EC2 instance type such as "m7i.large"', 'list instance types of one CPU architecture');
  }
  if (!isInt(pool.minSize) || !isInt(pool.desiredSize) || !isInt(pool.maxSize) || pool.minSize < 1 || pool.minSize > pool.desiredSize || pool.desiredSize > pool.maxSize || pool.maxSize > 100) {
    problem('cluster.nodePool', { minSize: pool.minSize, desiredSize: pool.desiredSize, maxSize: pool.maxSize }, 'needs whole numbers with 1 <= minSize <= desiredSize <= maxSize <= 100', 'adjust the sizes');
  } else if (isProd && pool.minSize < net.maxAzs) {
    problem('cluster.nodePool.minSize', pool.minSize, `must be at least network.maxAzs (${net.maxAzs}) in prod, one node per AZ`, `set cluster.nodePool.minSize to ${net.maxAzs}`);
  }
  if (!isInt(pool.diskSizeGiB) || pool.diskSizeGiB < 20 || pool.diskSizeGiB > 1000) {
    problem('cluster.nodePool.diskSizeGiB', pool.diskSizeGiB, 'must be a whole number of GiB from 20 to 1000', 'set it to e.g. 50');
  }

  const namespaces = Array.isArray(cluster.namespaces) ? cluster.namespaces : [];
  if (!Array.isArray(cluster.namespaces)) {
    problem('cluster.namespaces', cluster.namespaces, 'must be a list of { name, quota: { cpu, memoryGiB, pods } }', 'set it to e.g. [{ "name": "orders", "quota": { "cpu": 4, "memoryGiB": 8, "pods": 20 } }]');
  }
  const namespaceNames = new Set<string>();
  for (const ns of namespaces) {
    const setting = `cluster.namespaces[${JSON.stringify(ns?.name)}]`;
    if (typeof ns?.name !== 'string' || !isDns1123Label(ns.name)) {
      problem(`${setting}.name`, ns?.name, 'must be a DNS-1123 label (up to 63 lowercase letters, digits and dashes, starting and ending with a letter or digit)', 'use a name such as "orders"');
    } else if (ns.name === 'default' || ns.name.startsWith('kube-') || ns.name.startsWith('istio-')) {
      problem(`${setting}.name`, ns.name, 'is reserved for the platform ("default", "kube-*", "istio-*")', 'choose another name, such as "orders"');
    } else if (namespaceNames.has(ns.name)) {
      problem(`${setting}.name`, ns.name, 'is listed twice', 'list each namespace once');
    }
    namespaceNames.add(ns?.name);
    const quota = ns?.quota;
    if (typeof quota?.cpu !== 'number' || !(quota.cpu > 0 && quota.cpu <= 512 && Number.isInteger(quota.cpu * 10))) {
      problem(`${setting}.quota.cpu`, quota?.cpu, 'must be 0.1 to 512 cores in steps of 0.1', 'set it to e.g. 4');
    }
    if (!isInt(quota?.memoryGiB) || quota.memoryGiB < 1 || quota.memoryGiB > 4096) {
      problem(`${setting}.quota.memoryGiB`, quota?.memoryGiB, 'must be a whole number of GiB from 1 to 4096', 'set it to e.g. 8');
    }
    if (!isInt(quota?.pods) || quota.pods < 1 || quota.pods > 1000) {
      problem(`${setting}.quota.pods`, quota?.pods, 'must be a whole number from 1 to 1000', 'set it to e.g. 20');
    }
  }

  // Mesh
  const ingress = config.mesh?.ingress;
  if (!INGRESS_SCHEMES.includes(ingress?.scheme)) {
    problem('mesh.ingress.scheme', ingress?.scheme, `must be one of ${INGRESS_SCHEMES.join(', ')}`, 'set mesh.ingress.scheme to "internal"');
  } else if (ingress.scheme === 'internet-facing' && (ingress.allowedCidrs ?? []).length === 0) {
    problem('mesh.ingress.allowedCidrs', ingress.allowedCidrs, 'must list the client CIDRs allowed to reach an internet-facing gateway (an empty list would open it to the internet)', 'list your clients\' CIDRs, e.g. ["203.0.113.0/24"], or use scheme "internal"');
  } else if (ingress.scheme === 'internal' && (ingress.allowedCidrs ?? []).length > 0) {
    problem('mesh.ingress.allowedCidrs', ingress.allowedCidrs, 'must be empty when mesh.ingress.scheme is "internal" (the internal gateway admits the VPC CIDR only)', 'remove the CIDRs, or set mesh.ingress.scheme to "internet-facing"');
  }
  for (const cidr of ingress?.allowedCidrs ?? []) {
    const parsed = parseIpv4Cidr(cidr);
    if (!parsed) {
      problem('mesh.ingress.allowedCidrs', cidr, 'is not a valid IPv4 CIDR', 'use a.b.c.d/n with no host bits set');
    } else if (parsed.prefix < 8) {
      problem('mesh.ingress.allowedCidrs', cidr, 'opens the gateway to too wide a range (0.0.0.0/0 or anything wider than /8 is refused)', 'list only your clients\' CIDRs');
    }
  }
  if (ingress?.certificateArn !== undefined && !/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/.test(ingress.certificateArn)) {
    problem('mesh.ingress.certificateArn', ingress.certificateArn, 'must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)', 'use the ARN of an issued ACM certificate in the environment\'s region, or remove it for TLS passthrough');
  }
  if (!Array.isArray(ingress?.hosts) || ingress.hosts.length === 0 || ingress.hosts.some((h) => typeof h !== 'string' || !/^(\*|(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/.test(h))) {
    problem('mesh.ingress.hosts', ingress?.hosts, 'must list host names such as "orders.example.com" or "*.example.com" (or "*")', 'set it to e.g. ["orders.example.com"]');
  }
  for (const key of ['gatewayReplicas', 'istiodReplicas'] as const) {
    const range = config.mesh?.[key];
    if (!isInt(range?.min) || !isInt(range?.max) || range.min < 2 || range.min > range.max || range.max > 20) {
      problem(`mesh.${key}`, range, 'needs whole numbers with 2 <= min <= max <= 20 (two replicas at least, so losing a pod or a zone keeps the mesh up)', 'set it to e.g. { "min": 2, "max": 5 }');
    }
  }

  // Data tier
  const pg = config.data?.postgres;
  const halfStep = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n * 2);
  if (!halfStep(pg?.minCapacityAcu) || pg.minCapacityAcu < 0 || pg.minCapacityAcu > 256) {
    problem('data.postgres.minCapacityAcu', pg?.minCapacityAcu, 'must be 0 to 256 Aurora capacity units in steps of 0.5', 'set it to e.g. 0.5');
  }
  if (!halfStep(pg?.maxCapacityAcu) || pg.maxCapacityAcu < 1 || pg.maxCapacityAcu > 256) {
    problem('data.postgres.maxCapacityAcu', pg?.maxCapacityAcu, 'must be 1 to 256 Aurora capacity units in steps of 0.5', 'set it to e.g. 4');
  } else if (halfStep(pg.minCapacityAcu) && pg.minCapacityAcu > pg.maxCapacityAcu) {
    problem('data.postgres.minCapacityAcu', pg.minCapacityAcu, `must not be above data.postgres.maxCapacityAcu (${pg.maxCapacityAcu})`, 'lower minCapacityAcu or raise maxCapacityAcu');
  }
  if (!isInt(pg?.readers) || pg.readers < 0 || pg.readers > 15) {
    problem('data.postgres.readers', pg?.readers, 'must be a whole number from 1 to 15', 'set it to 1 (2 in prod)');
  } else if (pg.readers < 1) {
    problem('data.postgres.readers', pg.readers, 'must be at least 1: a reader in another AZ is the failover target of the writer', 'set it to 1 (2 in prod)');
  } else if (isProd && pg.readers < 2) {
    problem('data.postgres.readers', pg.readers, 'must be at least 2 in prod so a failover still leaves a reader', 'set data.postgres.readers to 2');
  }
  if (!isInt(pg?.backupRetentionDays) || pg.backupRetentionDays < 7 || pg.backupRetentionDays > 35) {
    problem('data.postgres.backupRetentionDays', pg?.backupRetentionDays, 'must be 7 to 35 days', 'set it to 7 (35 in prod)');
  } else if (isProd && pg.backupRetentionDays !== 35) {
    problem('data.postgres.backupRetentionDays', pg.backupRetentionDays, 'must be 35 in prod (the longest point-in-time recovery window)', 'set data.postgres.backupRetentionDays to 35');
  }
  const cache = config.data?.cache;
  if (typeof cache?.nodeType !== 'string' || !/^cache\.[a-z0-9]+\.[a-z0-9]+$/.test(cache.nodeType)) {
    problem('data.cache.nodeType', cache?.nodeType, 'must be an ElastiCache node type', 'set it to e.g. "cache.t4g.small" or "cache.r7g.large"');
  } else if (isProd && /^cache\.t\d/.test(cache.nodeType)) {
    problem('data.cache.nodeType', cache.nodeType, 'must not be a burstable (t) node type in prod', 'use e.g. "cache.r7g.large"');
  }
  if (!isInt(cache?.replicas) || cache.replicas < 1 || cache.replicas > 5) {
    problem('data.cache.replicas', cache?.replicas, 'must be a whole number from 1 to 5: multi-AZ automatic failover needs a replica', 'set it to 1 (2 in prod)');
  } else if (isProd && cache.replicas < 2) {
    problem('data.cache.replicas', cache.replicas, 'must be at least 2 in prod so a failover still leaves a replica', 'set data.cache.replicas to 2');
  }
  if (!isInt(cache?.snapshotRetentionDays) || cache.snapshotRetentionDays < 15 || cache.snapshotRetentionDays > 35) {
    problem('data.cache.snapshotRetentionDays', cache?.snapshotRetentionDays, 'must be 15 to 35 days (the compliance packs ask for 15)', 'set it to 15');
  }

  // Workloads
  const sample = config.workloads?.sample;
  const image = sample?.image ?? {};
  if (image.digest !== undefined) {
    if (!isImageDigest(image.digest)) {
      problem('workloads.sample.image.digest', image.digest, 'must be an image digest, "sha256:" and 64 lowercase hex characters', 'pass the digest the pipeline pushed (or remove it and set workloads.sample.image.tag)');
    }
  } else if (typeof image.tag !== 'string' || !isImmutableImageTag(image.tag)) {
    problem('workloads.sample.image.tag', image.tag, 'must be an immutable image tag (never "latest" or another moving name)', 'set workloads.sample.image.digest, or a tag such as the commit id or release version');
  }
  if (!namespaceNames.has(sample?.namespace)) {
    problem('workloads.sample.namespace', sample?.namespace, `must be one of the application namespaces in cluster.namespaces (${[...namespaceNames].join(', ') || 'none'}), which carry the guardrails`, 'use one of those, or add it to cluster.namespaces');
  }
  if (typeof sample?.hostname !== 'string' || !HOSTNAME.test(sample.hostname)) {
    problem('workloads.sample.hostname', sample?.hostname, 'must be a lowercase DNS name with at least two labels', 'set it to e.g. "orders.dev.internal.example.com"');
  }
  if (!isInt(sample?.minReplicas) || sample.minReplicas < 2 || !isInt(sample.maxReplicas) || sample.maxReplicas < sample.minReplicas || sample.maxReplicas > 100) {
    problem('workloads.sample', { minReplicas: sample?.minReplicas, maxReplicas: sample?.maxReplicas }, 'needs whole numbers with 2 <= minReplicas <= maxReplicas <= 100 (one replica is a single point of failure)', 'set minReplicas to 2 or more');
  }
  if (!DELIVERY_STRATEGIES.includes(sample?.delivery)) {
    problem('workloads.sample.delivery', sample?.delivery, `must be one of ${DELIVERY_STRATEGIES.join(', ')}`, 'set it to "canary" (or "blue-green"; "rolling" outside prod)');
  } else if (isProd && sample.delivery === 'rolling') {
    problem('workloads.sample.delivery', sample.delivery, 'must be progressive in prod ("canary" or "blue-green"): a bad version is caught by analysis and rolled back automatically', 'set workloads.sample.delivery to "canary"');
  }

  // Data safety and tags
  if (!REMOVAL_POLICIES.includes(config.removalPolicy)) {
    problem('removalPolicy', config.removalPolicy, `must be one of ${REMOVAL_POLICIES.join(', ')}`, 'set removalPolicy to "retain"');
  } else if (isProd && config.removalPolicy !== 'retain') {
    problem('removalPolicy', config.removalPolicy, 'must be "retain" in prod: production data is never deleted by a stack change', 'set removalPolicy to "retain"');
  }
  const tagValue = /^[\w .:/=+\-@]{1,256}$/;
  for (const key of ['owner', 'costCenter'] as const) {
    if (!tagValue.test(config.tags?.[key] ?? '')) {
      problem(`tags.${key}`, config.tags?.[key], 'must be a non-empty tag value (letters, digits, spaces and _ . : / = + - @)', `set tags.${key}`);
    }
  }
  if (!DATA_CLASSIFICATIONS.includes(config.tags?.dataClassification)) {
    problem('tags.dataClassification', config.tags?.dataClassification, `must be one of ${DATA_CLASSIFICATIONS.join(', ')}`, 'set tags.dataClassification');
  }

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

const CONNECTION_ARN = /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/;
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const BRANCH = /^(?![-/])(?!.*(\.\.|\/\/|@\{))[A-Za-z0-9._\/-]{1,255}(?<![./])$/;
const SMOKE_URL = /^https:\/\/[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d{1,5})?$/;

/**
 * Checks the pipeline section against the (already validated) configurations of the
 * environments it deploys, and throws one `PipelineConfigError` listing every problem, each
 * naming the setting, the value given and the fix.
 */
export function validatePipelineConfig(pipeline: PipelineConfig, environments: readonly PlatformConfig[], knownEnvironments: readonly string[]): PipelineConfig {
  const problems: string[] = [];
  const problem = (setting: string, value: unknown, expected: string, fix: string, where = 'cdk.json context "pipeline"') =>
    problems.push(`pipeline.${setting} is ${JSON.stringify(value)}: ${expected}. Fix: ${fix} (in ${where} or with -c).`);

  if (typeof pipeline.connectionArn !== 'string' || !CONNECTION_ARN.test(pipeline.connectionArn)) {
    problem('connectionArn', pipeline.connectionArn, 'must be a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<uuid>)',
      'create the connection in the console (Developer Tools > Connections), complete the handshake, and paste its ARN');
  }
  if (typeof pipeline.repository !== 'string' || !REPOSITORY.test(pipeline.repository)) {
    problem('repository', pipeline.repository, 'must be "owner/name" of the repository the connection can read', 'set it to e.g. "my-org/zero-trust-platform"');
  }
  if (typeof pipeline.branch !== 'string' || !BRANCH.test(pipeline.branch)) {
    problem('branch', pipeline.branch, 'must be a Git branch name', 'set it to e.g. "main"');
  }
  if (pipeline.account !== undefined && !/^\d{12}$/.test(pipeline.account)) {
    problem('account', pipeline.account, 'must be a 12-digit AWS account id', 'set it to the tooling account, or remove it to use the first environment\'s account');
  }
  if (pipeline.region !== undefined && !/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/.test(pipeline.region)) {
    problem('region', pipeline.region, 'must be an AWS region name', 'set it to e.g. "eu-west-1"');
  }
  if ((pipeline.account === undefined) !== (pipeline.region === undefined)) {
    problem('account/region', { account: pipeline.account, region: pipeline.region }, 'must be set together or not at all', 'set both, or neither to use the first environment\'s');
  }

  const names = Array.isArray(pipeline.environments) ? pipeline.environments : [];
  if (names.length === 0) {
    problem('environments', pipeline.environments, 'must list at least one environment to deploy, in order', 'set it to e.g. ["staging", "prod"]');
  }
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

  const pipelineRegion = pipeline.region ?? environments[0]?.region;
  for (const env of environments) {
    const where = `cdk.json context "platform" -> "${env.envName}"`;
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

  const urls = pipeline.smokeTestBaseUrls ?? {};
  for (const name of names) {
    const url = urls[name];
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

  if (problems.length > 0) throw new PipelineConfigError(problems);
  return pipeline;
}

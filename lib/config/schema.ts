/**
 * The schema of the `platform.<env>` and `pipeline` context sections (zod, strict at every
 * depth): which settings exist, their types, and the values each accepts. Ranges and enums come
 * from the constructs that receive the values (`constructs/<area>/limits.ts`), narrowed where
 * the product asks for more (`policy.ts`); rules across settings are in `validate-config.ts`.
 *
 * Every issue is turned into one line naming the setting (its full path), the value and the fix;
 * an unknown key names the nearest valid one.
 */
import * as logs from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import { AURORA_MAX_CAPACITY_ACU, AURORA_MIN_CAPACITY_ACU, DELIVERY_STRATEGIES, describeValue, ELASTICACHE_NODE_TYPE, INGRESS_MIN_CIDR_PREFIX, isDns1123Label, isIsoDate, isImageDigest, isImmutableImageTag, isIntBetween, isReservedNamespaceName, isRfc1918, MESH_MIN_REPLICAS, NAMESPACE_QUOTA_CPU, NAMESPACE_QUOTA_MEMORY_GIB, NAMESPACE_QUOTA_PODS, NODE_POOL_MIN_SIZE, parseIpv4Cidr, POSTGRES_BACKUP_RETENTION_DAYS, POSTGRES_READERS, PUBLIC_ENDPOINT_MIN_CIDR_PREFIX, REDIS_REPLICAS, REDIS_SNAPSHOT_RETENTION_DAYS, RESERVED_NAMESPACE_NAMES, RESERVED_NAMESPACE_PREFIXES, SERVICE_MIN_REPLICAS, VPC_AZ_COUNT, VPC_CIDR_PREFIX, VPC_MIN_NAT_GATEWAYS } from '@zero-trust/platform-constructs';
import { API_ENDPOINT_ACCESS, DATA_CLASSIFICATIONS, INGRESS_SCHEMES, REMOVAL_POLICIES, type PipelineConfig, type PlatformConfig } from './platform-config';
import { MAX_MESH_REPLICAS, MAX_NAT_EXCEPTION_DAYS, MAX_NODE_POOL_SIZE, MIN_NAT_EXCEPTION_REASON_LENGTH, MAX_SERVICE_REPLICAS, MIN_CACHE_SNAPSHOT_RETENTION_DAYS, MIN_LOG_RETENTION_DAYS, NODE_DISK_SIZE_GIB, SLO_LATENCY_THRESHOLD_MS, SLO_PERCENT } from './policy';
import { nearestName } from './suggest';
import { isTrunkingCompatible } from '@zero-trust/platform-constructs';

/** Kubernetes versions this app can deploy: each needs a matching kubectl layer package. */
export const SUPPORTED_KUBERNETES_VERSIONS: readonly string[] = ['1.36'];

/** Retention values CloudWatch Logs accepts, in days (aws-cdk-lib's `RetentionDays`, without "never expire"). */
export const LOG_RETENTION_DAYS: readonly number[] = Object.values(logs.RetentionDays)
  .filter((days): days is number => typeof days === 'number' && days !== logs.RetentionDays.INFINITE)
  .sort((a, b) => a - b);

// --- Rules -----------------------------------------------------------------------------------

/** What is wrong with a value: what it must be, and how to fix it. */
interface Violation {
  readonly expected: string;
  readonly fix: string;
  /** Below the checked value (for a rule on an object that blames one of its settings). */
  readonly path?: (string | number)[];
  /** The value to show, when not the checked value itself. */
  readonly value?: unknown;
}

const FIX = ' Fix: ';
/** "what it must be. Fix: how" (the setting and the value are added around it). */
export const messageOf = (v: { expected: string; fix: string }) => `${v.expected}${/[.?!]$/.test(v.expected) ? '' : '.'}${FIX}${v.fix}`;

/** `base` with a rule: `check` returns what is wrong with a value of the right type, if anything. */
function rule<T extends z.ZodType>(base: T, check: (value: z.output<T>) => Violation | Violation[] | undefined): T {
  return base.superRefine((value, ctx) => {
    for (const v of [check(value)].flat()) {
      if (v) ctx.addIssue({ code: 'custom', message: messageOf(v), path: v.path, input: 'value' in v ? v.value : value });
    }
  });
}

/** The message for a required setting that is missing (instead of "expected string, received undefined"). */
const whenMissing = (expected: string, fix: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? messageOf({ expected, fix }) : undefined) });

/** A string matching `pattern`. */
const matching = (pattern: RegExp, expected: string, fix: string) =>
  rule(z.string(whenMissing(expected, fix)), (s) => (pattern.test(s) ? undefined : { expected, fix }));

/** A whole number in `range`. */
const wholeIn = (range: { readonly min: number; readonly max: number }, expected: string, fix: string) =>
  rule(z.number(), (n) => (isIntBetween(n, range.min, range.max) ? undefined : { expected, fix }));

/** A number in `range`, in its steps. */
const stepsIn = (range: { readonly min: number; readonly max: number; readonly step: number }, expected: string, fix: string) =>
  rule(z.number(), (n) => (n >= range.min && n <= range.max && Number.isInteger(n * Math.round(1 / range.step)) ? undefined : { expected, fix }));

/** One of `values`. */
const oneOf = <const T extends readonly string[]>(values: T, fix: string) =>
  z.enum(values, { error: () => messageOf({ expected: `must be one of ${values.join(', ')}`, fix }) });

/** A retention value CloudWatch Logs accepts, of at least a year. */
const logRetention = () =>
  rule(z.number(), (days) => LOG_RETENTION_DAYS.includes(days) && days >= MIN_LOG_RETENTION_DAYS ? undefined : {
    expected: `must be a CloudWatch Logs retention value of at least ${MIN_LOG_RETENTION_DAYS} (${LOG_RETENTION_DAYS.filter((d) => d >= MIN_LOG_RETENTION_DAYS).join(', ')})`,
    fix: 'set it to e.g. 365',
  });

/** A percentage objective in `range` (an SLO of 100% leaves no error budget to alert on). */
const percentIn = (range: { readonly min: number; readonly max: number }, fix: string) =>
  rule(z.number(), (n) => (Number.isFinite(n) && n >= range.min && n <= range.max ? undefined : {
    expected: `must be a percentage from ${range.min} to ${range.max} (100 leaves no error budget)`,
    fix,
  }));

/** An IPv4 CIDR no wider than /`minPrefix`. */
const cidrNoWiderThan = (minPrefix: number, tooWide: string, tooWideFix: string) =>
  rule(z.string(), (cidr) => {
    const parsed = parseIpv4Cidr(cidr);
    if (!parsed) return { expected: 'is not a valid IPv4 CIDR', fix: 'use a.b.c.d/n with no host bits set' };
    return parsed.prefix < minPrefix ? { expected: tooWide, fix: tooWideFix } : undefined;
  });

const ACCOUNT = /^\d{12}$/;
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
const GATEWAY_HOST = /^(\*|(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/;
const ACM_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
/** A complete secret ARN (with Secrets Manager's 6-character suffix) that ECR pull through cache may read. */
const PULL_THROUGH_CACHE_SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:ecr-pullthroughcache\/[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const TAG_VALUE = /^[\w .:/=+\-@]{1,256}$/;

// --- platform.<env> --------------------------------------------------------------------------

const network = z.strictObject({
  vpcCidr: rule(z.string(), (cidr) => {
    const parsed = parseIpv4Cidr(cidr);
    if (!parsed) return { expected: 'is not a valid IPv4 CIDR (a.b.c.d/n with no host bits set)', fix: 'set network.vpcCidr to e.g. "10.10.0.0/16"' };
    if (!isRfc1918(cidr)) return { expected: 'must be a private RFC 1918 range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)', fix: 'choose a private range such as "10.10.0.0/16"' };
    const { min, max } = VPC_CIDR_PREFIX;
    return parsed.prefix < min || parsed.prefix > max
      ? { expected: `must have a prefix between /${min} and /${max} (room for pod IPs in every AZ)`, fix: `use a /${min} to /${max} range` }
      : undefined;
  }),
  maxAzs: wholeIn(VPC_AZ_COUNT, `must be ${VPC_AZ_COUNT.min} to ${VPC_AZ_COUNT.max}: EKS needs subnets in at least two Availability Zones`, 'set network.maxAzs to 2 or 3'),
  availabilityZones: z.array(z.string()).optional(),
  natGateways: z.number(),
  natException: z.strictObject({
    reason: rule(z.string(), (reason) => (reason.trim().length >= MIN_NAT_EXCEPTION_REASON_LENGTH ? undefined : {
      expected: `must say, in at least ${MIN_NAT_EXCEPTION_REASON_LENGTH} characters, what in prod needs the internet and why no VPC endpoint or private mirror serves it`,
      fix: 'name the dependency, e.g. "vendor webhook https://api.example.com until its PrivateLink endpoint exists"',
    })),
    expires: rule(z.string(), (expires) => (isIsoDate(expires) ? undefined : {
      expected: 'must be the last day the exception holds, a date YYYY-MM-DD',
      fix: `give a date at most ${MAX_NAT_EXCEPTION_DAYS} days out, e.g. "2027-03-31"`,
    })),
  }).optional(),
  flowLogRetentionDays: logRetention(),
  organizationId: matching(ORGANIZATION_ID, 'must be an AWS Organizations organization id (o- and 10 to 32 lowercase letters or digits)',
    'set it to the id from `aws organizations describe-organization`, or remove it to admit this account only').optional(),
}).superRefine((net, ctx) => {
  const azsValid = isIntBetween(net.maxAzs, VPC_AZ_COUNT.min, VPC_AZ_COUNT.max);
  const report = (v: Violation) => ctx.addIssue({ code: 'custom', message: messageOf(v), path: v.path, input: v.value });
  if (!Number.isInteger(net.natGateways) || net.natGateways < VPC_MIN_NAT_GATEWAYS || (azsValid && net.natGateways > net.maxAzs)) {
    report({ path: ['natGateways'], value: net.natGateways, expected: `must be a whole number from ${VPC_MIN_NAT_GATEWAYS} to network.maxAzs (${net.maxAzs})`, fix: 'set network.natGateways to 0 (no route to the internet) or at most one per AZ' });
  }
  if (net.availabilityZones !== undefined && azsValid && net.availabilityZones.length !== net.maxAzs) {
    report({ path: ['availabilityZones'], value: net.availabilityZones, expected: `must list exactly network.maxAzs (${net.maxAzs}) zones`, fix: 'list one zone name per AZ' });
  }
});

const reservedNames = [...RESERVED_NAMESPACE_NAMES.map((n) => `"${n}"`), ...RESERVED_NAMESPACE_PREFIXES.map((p) => `"${p}*"`)].join(', ');

const namespace = z.strictObject({
  name: rule(z.string(), (name) => {
    if (!isDns1123Label(name)) {
      return { expected: 'must be a DNS-1123 label (up to 63 lowercase letters, digits and dashes, starting and ending with a letter or digit)', fix: 'use a name such as "orders"' };
    }
    return isReservedNamespaceName(name) ? { expected: `is reserved for the platform (${reservedNames})`, fix: 'choose another name, such as "orders"' } : undefined;
  }),
  quota: z.strictObject({
    cpu: stepsIn(NAMESPACE_QUOTA_CPU, `must be ${NAMESPACE_QUOTA_CPU.min} to ${NAMESPACE_QUOTA_CPU.max} cores in steps of ${NAMESPACE_QUOTA_CPU.step}`, 'set it to e.g. 4'),
    memoryGiB: wholeIn(NAMESPACE_QUOTA_MEMORY_GIB, `must be a whole number of GiB from ${NAMESPACE_QUOTA_MEMORY_GIB.min} to ${NAMESPACE_QUOTA_MEMORY_GIB.max}`, 'set it to e.g. 8'),
    pods: wholeIn(NAMESPACE_QUOTA_PODS, `must be a whole number from ${NAMESPACE_QUOTA_PODS.min} to ${NAMESPACE_QUOTA_PODS.max}`, 'set it to e.g. 20'),
  }),
});

const nodePool = z.strictObject({
  instanceTypes: rule(z.array(z.string()), (types) => {
    if (types.length === 0 || types.some((t) => !INSTANCE_TYPE.test(t))) {
      return { expected: 'must list at least one EC2 instance type such as "m7i.large"', fix: 'list instance types of one CPU architecture' };
    }
    const untrunkable = types.filter((t) => !isTrunkingCompatible(t));
    return untrunkable.length === 0 ? undefined : {
      expected: `must list types that can attach a trunk network interface (every service's pods get their own security group, ADR 0019); ${untrunkable.map((t) => `"${t}"`).join(', ')} cannot`,
      fix: 'use types such as "m7i.large" or "m6i.large" (PlatformCluster\'s list: isTrunkingCompatible; no "t" type is)',
    };
  }),
  minSize: z.number(),
  desiredSize: z.number(),
  maxSize: z.number(),
  diskSizeGiB: wholeIn(NODE_DISK_SIZE_GIB, `must be a whole number of GiB from ${NODE_DISK_SIZE_GIB.min} to ${NODE_DISK_SIZE_GIB.max}`, 'set it to e.g. 50'),
}).superRefine(({ minSize, desiredSize, maxSize }, ctx) => {
  const whole = [minSize, desiredSize, maxSize].every(Number.isInteger);
  if (!whole || minSize < NODE_POOL_MIN_SIZE || minSize > desiredSize || desiredSize > maxSize || maxSize > MAX_NODE_POOL_SIZE) {
    ctx.addIssue({
      code: 'custom',
      input: { minSize, desiredSize, maxSize },
      message: messageOf({ expected: `needs whole numbers with ${NODE_POOL_MIN_SIZE} <= minSize <= desiredSize <= maxSize <= ${MAX_NODE_POOL_SIZE}`, fix: 'adjust the sizes' }),
    });
  }
});

const cluster = z.strictObject({
  kubernetesVersion: rule(z.string(), (version) => SUPPORTED_KUBERNETES_VERSIONS.includes(version) ? undefined : {
    expected: `is not supported; supported: ${SUPPORTED_KUBERNETES_VERSIONS.join(', ')} (each needs its @aws-cdk/lambda-layer-kubectl-vNN package; add-on versions are EKS's choice at creation, ADR 0010)`,
    fix: `set cluster.kubernetesVersion to "${SUPPORTED_KUBERNETES_VERSIONS[SUPPORTED_KUBERNETES_VERSIONS.length - 1]}"`,
  }),
  endpointAccess: oneOf(API_ENDPOINT_ACCESS, 'set cluster.endpointAccess to "private"'),
  publicAccessCidrs: z.array(cidrNoWiderThan(PUBLIC_ENDPOINT_MIN_CIDR_PREFIX,
    `opens the public API endpoint to too wide a range (0.0.0.0/0 or anything wider than /${PUBLIC_ENDPOINT_MIN_CIDR_PREFIX} is refused)`,
    `list only your egress CIDRs (/${PUBLIC_ENDPOINT_MIN_CIDR_PREFIX} or narrower), or use endpointAccess "private"`)),
  adminRoleArns: z.array(matching(ROLE_ARN, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)', 'use the ARN of an IAM or SSO role')),
  viewerRoleArns: z.array(matching(ROLE_ARN, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)', 'use the ARN of an IAM or SSO role')),
  controlPlaneLogRetentionDays: logRetention(),
  nodePool,
  namespaces: rule(z.array(namespace), (namespaces) => {
    const seen = new Set<string>();
    return namespaces.flatMap((ns, index) => {
      const usable = isDns1123Label(ns.name) && !isReservedNamespaceName(ns.name);
      const twice = usable && seen.has(ns.name);
      seen.add(ns.name);
      return twice ? [{ path: [index, 'name'], value: ns.name, expected: 'is listed twice', fix: 'list each namespace once' }] : [];
    });
  }),
});

const replicaRange = rule(z.strictObject({ min: z.number(), max: z.number() }), (range) =>
  !Number.isInteger(range.min) || !Number.isInteger(range.max) || range.min < MESH_MIN_REPLICAS || range.min > range.max || range.max > MAX_MESH_REPLICAS
    ? {
      expected: `needs whole numbers with ${MESH_MIN_REPLICAS} <= min <= max <= ${MAX_MESH_REPLICAS} (two replicas at least, so losing a pod or a zone keeps the mesh up)`,
      fix: 'set it to e.g. { "min": 2, "max": 5 }',
    }
    : undefined);

const mesh = z.strictObject({
  ingress: z.strictObject({
    scheme: oneOf(INGRESS_SCHEMES, 'set mesh.ingress.scheme to "internal"'),
    allowedCidrs: z.array(cidrNoWiderThan(INGRESS_MIN_CIDR_PREFIX,
      `opens the gateway to too wide a range (0.0.0.0/0 or anything wider than /${INGRESS_MIN_CIDR_PREFIX} is refused)`,
      'list only your clients\' CIDRs')),
    certificateArn: matching(ACM_CERTIFICATE_ARN, 'must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)',
      'use the ARN of an issued ACM certificate in the environment\'s region, or remove it for TLS passthrough').optional(),
    hosts: rule(z.array(z.string()), (hosts) => hosts.length === 0 || hosts.some((h) => !GATEWAY_HOST.test(h))
      ? { expected: 'must list host names such as "orders.example.com" or "*.example.com" (or "*")', fix: 'set it to e.g. ["orders.example.com"]' }
      : undefined),
  }),
  gatewayReplicas: replicaRange,
  istiodReplicas: replicaRange,
});

const acu = { min: AURORA_MIN_CAPACITY_ACU, max: AURORA_MAX_CAPACITY_ACU };
const readers = POSTGRES_READERS;
const backupDays = POSTGRES_BACKUP_RETENTION_DAYS;
const snapshotDays = { min: Math.max(MIN_CACHE_SNAPSHOT_RETENTION_DAYS, REDIS_SNAPSHOT_RETENTION_DAYS.min), max: REDIS_SNAPSHOT_RETENTION_DAYS.max };

const postgres = z.strictObject({
  minCapacityAcu: stepsIn(acu.min, `must be ${acu.min.min} to ${acu.min.max} Aurora capacity units in steps of ${acu.min.step}`, 'set it to e.g. 0.5'),
  maxCapacityAcu: stepsIn(acu.max, `must be ${acu.max.min} to ${acu.max.max} Aurora capacity units in steps of ${acu.max.step}`, 'set it to e.g. 4'),
  readers: rule(z.number(), (n) => {
    if (Number.isInteger(n) && n < readers.min) return { expected: `must be at least ${readers.min}: a reader in another AZ is the failover target of the writer`, fix: 'set it to 1 (2 in prod)' };
    return isIntBetween(n, readers.min, readers.max) ? undefined : { expected: `must be a whole number from ${readers.min} to ${readers.max}`, fix: 'set it to 1 (2 in prod)' };
  }),
  backupRetentionDays: wholeIn(backupDays, `must be ${backupDays.min} to ${backupDays.max} days`, `set it to ${backupDays.min} (${backupDays.max} in prod)`),
}).superRefine((pg, ctx) => {
  const inSteps = (n: number, r: { min: number; max: number; step: number }) => n >= r.min && n <= r.max && Number.isInteger(n * Math.round(1 / r.step));
  if (inSteps(pg.minCapacityAcu, acu.min) && inSteps(pg.maxCapacityAcu, acu.max) && pg.minCapacityAcu > pg.maxCapacityAcu) {
    ctx.addIssue({
      code: 'custom',
      path: ['minCapacityAcu'],
      input: pg.minCapacityAcu,
      message: messageOf({ expected: `must not be above data.postgres.maxCapacityAcu (${pg.maxCapacityAcu})`, fix: 'lower minCapacityAcu or raise maxCapacityAcu' }),
    });
  }
});

const cache = z.strictObject({
  nodeType: matching(ELASTICACHE_NODE_TYPE, 'must be an ElastiCache node type', 'set it to e.g. "cache.t4g.small" or "cache.r7g.large"'),
  replicas: wholeIn(REDIS_REPLICAS, `must be a whole number from ${REDIS_REPLICAS.min} to ${REDIS_REPLICAS.max}: multi-AZ automatic failover needs a replica`, 'set it to 1 (2 in prod)'),
  snapshotRetentionDays: wholeIn(snapshotDays,
    `must be ${snapshotDays.min} to ${snapshotDays.max} days (the compliance packs ask for ${MIN_CACHE_SNAPSHOT_RETENTION_DAYS})`, `set it to ${snapshotDays.min}`),
});

const sample = z.strictObject({
  image: rule(z.strictObject({ digest: z.string().optional(), tag: z.string().optional() }), (image) => {
    if (image.digest !== undefined) {
      return isImageDigest(image.digest) ? undefined : {
        path: ['digest'], value: image.digest,
        expected: 'must be an image digest, "sha256:" and 64 lowercase hex characters',
        fix: 'pass the digest the pipeline pushed (or remove it and set workloads.sample.image.tag)',
      };
    }
    return image.tag !== undefined && isImmutableImageTag(image.tag) ? undefined : {
      path: ['tag'], value: image.tag,
      expected: 'must be an immutable image tag (never "latest" or another moving name)',
      fix: 'set workloads.sample.image.digest, or a tag such as the commit id or release version',
    };
  }),
  namespace: z.string(),
  hostname: matching(HOSTNAME, 'must be a lowercase DNS name with at least two labels', 'set it to e.g. "orders.dev.internal.example.com"'),
  minReplicas: z.number(),
  maxReplicas: z.number(),
  delivery: oneOf(DELIVERY_STRATEGIES, 'set it to "canary" (or "blue-green"; "rolling" outside prod)'),
  slo: z.strictObject({
    availabilityPercent: percentIn(SLO_PERCENT, 'set it to e.g. 99.9'),
    latencyThresholdMs: wholeIn(SLO_LATENCY_THRESHOLD_MS, `must be a whole number of milliseconds from ${SLO_LATENCY_THRESHOLD_MS.min} to ${SLO_LATENCY_THRESHOLD_MS.max}`, 'set it to e.g. 300'),
    latencyPercent: percentIn(SLO_PERCENT, 'set it to e.g. 99'),
  }),
}).superRefine(({ minReplicas, maxReplicas }, ctx) => {
  if (!isIntBetween(minReplicas, SERVICE_MIN_REPLICAS.min, SERVICE_MIN_REPLICAS.max) || !isIntBetween(maxReplicas, minReplicas, MAX_SERVICE_REPLICAS)) {
    ctx.addIssue({
      code: 'custom',
      input: { minReplicas, maxReplicas },
      message: messageOf({
        expected: `needs whole numbers with ${SERVICE_MIN_REPLICAS.min} <= minReplicas <= maxReplicas <= ${MAX_SERVICE_REPLICAS} (one replica is a single point of failure)`,
        fix: 'set minReplicas and maxReplicas within those bounds',
      }),
    });
  }
});

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const observability = z.strictObject({
  logRetentionDays: logRetention(),
  traceSamplingRatio: rule(z.number(), (n) => (Number.isFinite(n) && n >= 0 && n <= 1 ? undefined : {
    expected: 'must be a ratio from 0 (no new traces; callers\' sampled traces are still followed) to 1 (every request)',
    fix: 'set it to e.g. 0.1',
  })),
  alarmEmails: z.array(matching(EMAIL, 'must be an e-mail address', 'set it to e.g. "oncall@example.com"')),
});

const tagValue = (key: string) =>
  matching(TAG_VALUE, 'must be a non-empty tag value (letters, digits, spaces and _ . : / = + - @)', `set tags.${key}`);

/** One environment's configuration: the `platform.<env>` context section merged over its defaults. */
export const platformConfigSchema = z.strictObject({
  envName: z.string(),
  name: matching(/^[a-z][a-z0-9-]{1,19}$/, 'must be 2-20 lowercase letters, digits or dashes, starting with a letter', 'set name to e.g. "ztp-dev"'),
  account: matching(ACCOUNT, 'must be a 12-digit AWS account id', 'set account to e.g. "123456789012" or remove it for an environment-agnostic synth').optional(),
  region: matching(REGION, 'must be an AWS region name', 'set region to e.g. "eu-west-1"').optional(),
  network,
  cluster,
  data: z.strictObject({ postgres, cache }),
  mesh,
  workloads: z.strictObject({ sample }),
  observability,
  registries: z.strictObject({
    dockerHubCredentialArn: matching(PULL_THROUGH_CACHE_SECRET_ARN,
      'must be the complete ARN of a Secrets Manager secret whose name starts with "ecr-pullthroughcache/" (arn:aws:secretsmanager:<region>:<account>:secret:ecr-pullthroughcache/<name>-<6 characters>)',
      'copy the ARN from `aws secretsmanager describe-secret --secret-id ecr-pullthroughcache/<name>/docker-hub`, or remove it to use that secret by name').optional(),
  }),
  security: z.strictObject({
    keyAdminRoleArns: rule(z.array(matching(ROLE_ARN, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<path/name>)', 'use the full ARN of an IAM or SSO role')),
      (arns) => arns.flatMap((arn, index) => (arns.indexOf(arn) < index ? [{ path: [index], value: arn, expected: 'is listed twice', fix: 'list each role once' }] : []))),
  }),
  removalPolicy: oneOf(REMOVAL_POLICIES, 'set removalPolicy to "retain"'),
  tags: z.strictObject({
    owner: tagValue('owner'),
    costCenter: tagValue('costCenter'),
    dataClassification: oneOf(DATA_CLASSIFICATIONS, 'set tags.dataClassification'),
  }),
});

// --- pipeline --------------------------------------------------------------------------------

const CONNECTION_ARN = /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/;
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const BRANCH = /^(?![-/])(?!.*(\.\.|\/\/|@\{))[A-Za-z0-9._\/-]{1,255}(?<![./])$/;

/** The `pipeline` context section merged over its defaults. */
export const pipelineConfigSchema = z.strictObject({
  connectionArn: matching(CONNECTION_ARN, 'must be a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<uuid>)',
    'create the connection in the console (Developer Tools > Connections), complete the handshake, and paste its ARN'),
  repository: matching(REPOSITORY, 'must be "owner/name" of the repository the connection can read', 'set it to e.g. "my-org/zero-trust-platform"'),
  branch: matching(BRANCH, 'must be a Git branch name', 'set it to e.g. "main"'),
  environments: rule(z.array(z.string()), (names) => names.length === 0
    ? { expected: 'must list at least one environment to deploy, in order', fix: 'set it to e.g. ["staging", "prod"]' }
    : undefined),
  account: matching(ACCOUNT, 'must be a 12-digit AWS account id', 'set it to the tooling account, or remove it to use the first environment\'s account').optional(),
  region: matching(REGION, 'must be an AWS region name', 'set it to e.g. "eu-west-1"').optional(),
  smokeTestBaseUrls: z.record(z.string(), z.string()),
});

// The typed API (platform-config.ts) and the schema describe the same shape: compile-time checks.
type DeepMutable<T> = T extends (infer U)[] ? DeepMutable<U>[] : T extends object ? { -readonly [K in keyof T]: DeepMutable<T[K]> } : T;
type Same<A, B> = (<X>() => X extends A ? 1 : 2) extends (<X>() => X extends B ? 1 : 2) ? true : false;
const platformSchemaMatchesType: Same<DeepMutable<z.infer<typeof platformConfigSchema>>, DeepMutable<PlatformConfig>> = true;
const pipelineSchemaMatchesType: Same<DeepMutable<z.infer<typeof pipelineConfigSchema>>, DeepMutable<PipelineConfig>> = true;
void platformSchemaMatchesType;
void pipelineSchemaMatchesType;

// --- Issues as problems ----------------------------------------------------------------------

/** Where a section is read from, for messages. */
export interface SectionSource {
  /** Path of the section in context, prefixed to every setting: `platform.prod`, `pipeline`. */
  readonly path: string;
  /** Where to fix it: `cdk.json context "platform" -> "prod"`. */
  readonly where: string;
}

/**
 * One problem line: the setting, the value (as the constructs show values: a token described,
 * never printed raw; cut when long), what it must be, the fix and where.
 */
export function problemLine(setting: string, value: unknown, message: string, where: string): string {
  const shown = describeValue(value);
  return `${setting} is ${shown.length > 200 ? `${shown.slice(0, 197)}...` : shown}: ${message} (in ${where} or with -c).`;
}

/**
 * Checks `input` against `schema` and returns one problem line per issue (all of them), and the
 * paths (`network.maxAzs`, relative to the section) of the settings that had one.
 */
export function schemaProblems(schema: z.ZodType, input: unknown, source: SectionSource): { problems: string[]; invalidPaths: string[] } {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return { problems: [], invalidPaths: [] };
  const problems: string[] = [];
  const invalidPaths: string[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        invalidPaths.push([...path, key].join('.'));
        problems.push(unknownKeyProblem(schema, input, path, key, source));
      }
      continue;
    }
    invalidPaths.push(path.join('.'));
    problems.push(problemLine(settingName(source.path, input, path), issue.input, issueMessage(issue), source.where));
  }
  return { problems, invalidPaths };
}

/** `platform.dev.cluster.namespaces["orders"].quota.cpu`: list items by name when they have one; items of a list of values by the list. */
function settingName(root: string, input: unknown, path: (string | number)[]): string {
  let name = root;
  let node: unknown = input;
  path.forEach((segment, i) => {
    node = isRecord(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[segment] : undefined;
    if (typeof segment === 'number') {
      const itemName = isRecord(node) ? node.name : undefined;
      if (typeof itemName === 'string') name += `[${JSON.stringify(itemName)}]`;
      else if (i < path.length - 1 || isRecord(node) || Array.isArray(node)) name += `[${segment}]`;
    } else {
      name += name ? `.${segment}` : segment;
    }
  });
  return name;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.message.includes(FIX)) return issue.message;
  if (issue.code === 'invalid_type') return typeMessage(issue.expected, issue.input);
  if (issue.code === 'invalid_value') return messageOf({ expected: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`, fix: 'use one of those' });
  return messageOf({ expected: issue.message, fix: 'see "Configuration reference" in the README' });
}

const TYPE_NAMES: Record<string, string> = { number: 'a number', string: 'a string', array: 'a list', object: 'an object', boolean: 'true or false', record: 'an object' };

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** "must be a number, not a string. Fix: write it without quotes: 3". */
function typeMessage(expected: string, input: unknown): string {
  const wanted = TYPE_NAMES[expected] ?? expected;
  if (input === undefined) return messageOf({ expected: `is required: must be ${wanted}`, fix: 'set it' });
  let fix = `write ${wanted}`;
  if (expected === 'number' && typeof input === 'string' && input.trim() !== '' && Number.isFinite(Number(input))) fix = `write it without quotes: ${Number(input)}`;
  else if (expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')) fix = `write it in quotes: "${String(input)}"`;
  else if (expected === 'array' && typeof input === 'string') fix = `write it as a list: [${JSON.stringify(input)}]`;
  return messageOf({ expected: `must be ${wanted}, not ${kindOf(input)}`, fix });
}

function unknownKeyProblem(schema: z.ZodType, input: unknown, path: (string | number)[], key: string, source: SectionSource): string {
  const parentName = settingName(source.path, input, path);
  const value = valueAt(input, [...path, key]);
  const known = Object.keys(objectShapeAt(schema, path) ?? {});
  const near = nearestName(key, known);
  if (near !== undefined) {
    return problemLine(`${parentName}.${key}`, value, messageOf({ expected: `unknown setting. Did you mean "${near}"?`, fix: `rename it to "${near}"` }), source.where);
  }
  // The right name in the wrong place: `{ "maxAzs": 3 }` at the top instead of under network.
  const elsewhere = settingPaths(schema).filter((p) => p[p.length - 1].toLowerCase() === key.toLowerCase());
  if (elsewhere.length > 0) {
    const target = elsewhere[0].join('.');
    return problemLine(`${parentName}.${key}`, value, messageOf({ expected: `unknown setting here. Did you mean ${source.path}.${target}?`, fix: `move it to ${target}` }), source.where);
  }
  const takes = known.length > 0 ? `; ${path.length > 0 ? parentName : source.path} takes ${known.join(', ')}` : '';
  return problemLine(`${parentName}.${key}`, value, messageOf({ expected: `unknown setting${takes}`, fix: 'remove it, or use one of those names' }), source.where);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(input: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((node, key) => (isRecord(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[key] : undefined), input);
}

/** Strips optional/nullable/default wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
  return s;
}

/** The shape of the object schema at `path` (list items and record values followed). */
function objectShapeAt(schema: z.ZodType, path: (string | number)[]): Record<string, z.ZodType> | undefined {
  let s: z.ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(segment)];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (s instanceof z.ZodRecord) s = s.valueType as z.ZodType;
    else return undefined;
    if (s === undefined) return undefined;
    s = unwrap(s);
  }
  return s instanceof z.ZodObject ? (s.shape as Record<string, z.ZodType>) : undefined;
}

/** Every setting path the schema defines, parents first (`network`, `network.vpcCidr`, ...). */
function settingPaths(schema: z.ZodType, prefix: string[] = []): string[][] {
  const s = unwrap(schema);
  const inner = s instanceof z.ZodArray ? unwrap(s.element as z.ZodType) : s;
  if (!(inner instanceof z.ZodObject)) return [];
  return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, child]) => [[...prefix, key], ...settingPaths(child, [...prefix, key])]);
}

import type { PlatformConfig } from './platform-config';

/**
 * Defaults for each environment. Account, region and admin roles are left out on purpose:
 * they belong to whoever deploys, and come from cdk context (see README, "Configuration").
 */
export const ENVIRONMENT_DEFAULTS: Readonly<Record<string, PlatformConfig>> = {
  dev: {
    envName: 'dev',
    name: 'ztp-dev',
    // One NAT gateway: dev is where a new upstream (an image or chart source not yet behind the
    // private registry) is first tried. Staging and prod have none: staging proves every source is
    // mirrored and every AWS API has an endpoint before prod depends on it (ADR 0020).
    network: { vpcCidr: '10.10.0.0/16', maxAzs: 2, natGateways: 1, flowLogRetentionDays: 365 },
    cluster: {
      kubernetesVersion: '1.36',
      endpointAccess: 'private',
      publicAccessCidrs: [],
      adminRoleArns: [],
      viewerRoleArns: [],
      controlPlaneLogRetentionDays: 365,
      nodePool: { instanceTypes: ['m7i.large'], minSize: 2, desiredSize: 2, maxSize: 4, diskSizeGiB: 50 },
      namespaces: [{ name: 'orders', quota: { cpu: 4, memoryGiB: 8, pods: 20 } }],
    },
    data: {
      postgres: { minCapacityAcu: 0.5, maxCapacityAcu: 4, readers: 1, backupRetentionDays: 7 },
      cache: { nodeType: 'cache.t4g.small', replicas: 1, snapshotRetentionDays: 15 },
    },
    workloads: {
      sample: { image: { tag: '1.0.0' }, namespace: 'orders', hostname: 'orders.dev.internal.example.com', minReplicas: 2, maxReplicas: 4, delivery: 'rolling', slo: { availabilityPercent: 99.9, latencyThresholdMs: 300, latencyPercent: 99 } },
    },
    mesh: {
      ingress: { scheme: 'internal', allowedCidrs: [], hosts: ['*'] },
      gatewayReplicas: { min: 2, max: 3 },
      istiodReplicas: { min: 2, max: 3 },
    },
    observability: { logRetentionDays: 365, traceSamplingRatio: 0.1, alarmEmails: [] },
    registries: {},
    security: { keyAdminRoleArns: [] },
    removalPolicy: 'destroy',
    tags: { owner: 'platform-team', costCenter: 'cc-platform-dev', dataClassification: 'internal' },
  },
  staging: {
    envName: 'staging',
    name: 'ztp-staging',
    network: { vpcCidr: '10.20.0.0/16', maxAzs: 3, natGateways: 0, flowLogRetentionDays: 365 },
    cluster: {
      kubernetesVersion: '1.36',
      endpointAccess: 'private',
      publicAccessCidrs: [],
      adminRoleArns: [],
      viewerRoleArns: [],
      controlPlaneLogRetentionDays: 365,
      nodePool: { instanceTypes: ['m7i.large', 'm6i.large'], minSize: 3, desiredSize: 3, maxSize: 6, diskSizeGiB: 50 },
      namespaces: [{ name: 'orders', quota: { cpu: 12, memoryGiB: 16, pods: 40 } }],
    },
    data: {
      postgres: { minCapacityAcu: 0.5, maxCapacityAcu: 8, readers: 1, backupRetentionDays: 14 },
      cache: { nodeType: 'cache.r7g.large', replicas: 1, snapshotRetentionDays: 15 },
    },
    workloads: {
      sample: { image: { tag: '1.0.0' }, namespace: 'orders', hostname: 'orders.staging.internal.example.com', minReplicas: 2, maxReplicas: 6, delivery: 'canary', slo: { availabilityPercent: 99.9, latencyThresholdMs: 300, latencyPercent: 99 } },
    },
    mesh: {
      ingress: { scheme: 'internal', allowedCidrs: [], hosts: ['*'] },
      gatewayReplicas: { min: 2, max: 5 },
      istiodReplicas: { min: 2, max: 5 },
    },
    observability: { logRetentionDays: 365, traceSamplingRatio: 0.1, alarmEmails: [] },
    registries: {},
    security: { keyAdminRoleArns: [] },
    removalPolicy: 'snapshot',
    tags: { owner: 'platform-team', costCenter: 'cc-platform-staging', dataClassification: 'confidential' },
  },
  prod: {
    envName: 'prod',
    name: 'ztp-prod',
    network: { vpcCidr: '10.30.0.0/16', maxAzs: 3, natGateways: 0, flowLogRetentionDays: 731 },
    cluster: {
      kubernetesVersion: '1.36',
      endpointAccess: 'private',
      publicAccessCidrs: [],
      adminRoleArns: [],
      viewerRoleArns: [],
      controlPlaneLogRetentionDays: 731,
      nodePool: { instanceTypes: ['m7i.xlarge', 'm6i.xlarge'], minSize: 3, desiredSize: 3, maxSize: 12, diskSizeGiB: 100 },
      namespaces: [{ name: 'orders', quota: { cpu: 24, memoryGiB: 32, pods: 60 } }],
    },
    data: {
      postgres: { minCapacityAcu: 2, maxCapacityAcu: 32, readers: 2, backupRetentionDays: 35 },
      cache: { nodeType: 'cache.r7g.large', replicas: 2, snapshotRetentionDays: 35 },
    },
    workloads: {
      sample: { image: { tag: '1.0.0' }, namespace: 'orders', hostname: 'orders.prod.internal.example.com', minReplicas: 3, maxReplicas: 12, delivery: 'canary', slo: { availabilityPercent: 99.9, latencyThresholdMs: 300, latencyPercent: 99 } },
    },
    mesh: {
      ingress: { scheme: 'internal', allowedCidrs: [], hosts: ['*'] },
      gatewayReplicas: { min: 3, max: 10 },
      istiodReplicas: { min: 3, max: 10 },
    },
    observability: { logRetentionDays: 731, traceSamplingRatio: 0.05, alarmEmails: [] },
    registries: {},
    security: { keyAdminRoleArns: [] },
    removalPolicy: 'retain',
    tags: { owner: 'platform-team', costCenter: 'cc-platform-prod', dataClassification: 'restricted' },
  },
};

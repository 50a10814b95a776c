import type { PlatformConfig } from './platform-config';

/**
 * Defaults for each environment. Account, region and admin roles are left out on purpose:
 * they belong to whoever deploys, and come from cdk context (see README, "Configuration").
 */
export const ENVIRONMENT_DEFAULTS: Readonly<Record<string, PlatformConfig>> = {
  dev: {
    envName: 'dev',
    name: 'ztp-dev',
    network: { vpcCidr: '10.10.0.0/16', maxAzs: 2, natGateways: 1, flowLogRetentionDays: 365 },
    cluster: {
      kubernetesVersion: '1.36',
      endpointAccess: 'private',
      publicAccessCidrs: [],
      adminRoleArns: [],
      viewerRoleArns: [],
      controlPlaneLogRetentionDays: 365,
      nodePool: { instanceTypes: ['m7i.large'], minSize: 2, desiredSize: 2, maxSize: 4, diskSizeGiB: 50 },
    },
    data: {
      postgres: { minCapacityAcu: 0.5, maxCapacityAcu: 4, readers: 1, backupRetentionDays: 7 },
      cache: { nodeType: 'cache.t4g.small', replicas: 1, snapshotRetentionDays: 15 },
    },
    removalPolicy: 'destroy',
    tags: { owner: 'platform-team', costCenter: 'cc-platform-dev', dataClassification: 'internal' },
  },
  staging: {
    envName: 'staging',
    name: 'ztp-staging',
    network: { vpcCidr: '10.20.0.0/16', maxAzs: 3, natGateways: 3, flowLogRetentionDays: 365 },
    cluster: {
      kubernetesVersion: '1.36',
      endpointAccess: 'private',
      publicAccessCidrs: [],
      adminRoleArns: [],
      viewerRoleArns: [],
      controlPlaneLogRetentionDays: 365,
      nodePool: { instanceTypes: ['m7i.large', 'm6i.large'], minSize: 3, desiredSize: 3, maxSize: 6, diskSizeGiB: 50 },
    },
    data: {
      postgres: { minCapacityAcu: 0.5, maxCapacityAcu: 8, readers: 1, backupRetentionDays: 14 },
      cache: { nodeType: 'cache.r7g.large', replicas: 1, snapshotRetentionDays: 15 },
    },
    removalPolicy: 'snapshot',
    tags: { owner: 'platform-team', costCenter: 'cc-platform-staging', dataClassification: 'confidential' },
  },
  prod: {
    envName: 'prod',
    name: 'ztp-prod',
    network: { vpcCidr: '10.30.0.0/16', maxAzs: 3, natGateways: 3, flowLogRetentionDays: 731 },
    cluster: {
      kubernetesVersion: '1.36',
      endpointAccess: 'private',
      publicAccessCidrs: [],
      adminRoleArns: [],
      viewerRoleArns: [],
      controlPlaneLogRetentionDays: 731,
      nodePool: { instanceTypes: ['m7i.xlarge', 'm6i.xlarge'], minSize: 3, desiredSize: 3, maxSize: 12, diskSizeGiB: 100 },
    },
    data: {
      postgres: { minCapacityAcu: 2, maxCapacityAcu: 32, readers: 2, backupRetentionDays: 35 },
      cache: { nodeType: 'cache.r7g.large', replicas: 2, snapshotRetentionDays: 35 },
    },
    removalPolicy: 'retain',
    tags: { owner: 'platform-team', costCenter: 'cc-platform-prod', dataClassification: 'restricted' },
  },
};

import { RemovalPolicy } from 'aws-cdk-lib';

/**
 * The removal policy for the keys and log groups of a data store: they cannot be snapshotted,
 * so a SNAPSHOT policy keeps them (the snapshot stays readable only while its key exists).
 */
export function supportingRemovalPolicy(dataRemovalPolicy: RemovalPolicy): RemovalPolicy {
  return dataRemovalPolicy === RemovalPolicy.SNAPSHOT ? RemovalPolicy.RETAIN : dataRemovalPolicy;
}

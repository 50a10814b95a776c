import { RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { PlatformConfig } from '../config';

/**
 * The removal policy a stateful resource gets from config. Resources that cannot be
 * snapshotted (keys, log groups) are retained wherever config asks for snapshots.
 */
export function removalPolicyOf(config: PlatformConfig, options: { allowSnapshot: boolean }): RemovalPolicy {
  switch (config.removalPolicy) {
    case 'retain':
      return RemovalPolicy.RETAIN;
    case 'snapshot':
      return options.allowSnapshot ? RemovalPolicy.SNAPSHOT : RemovalPolicy.RETAIN;
    case 'destroy':
      return RemovalPolicy.DESTROY;
  }
}

/** CloudWatch Logs retention from a validated number of days. */
export function retentionOf(days: number): logs.RetentionDays {
  return days as logs.RetentionDays;
}

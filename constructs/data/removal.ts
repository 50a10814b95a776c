import { RemovalPolicy } from 'aws-cdk-lib';

/**
 * The removal policy for the keys and log groups of a data store: they cannot be snapshotted,
 * so a SNAPSHOT policy keeps them (the snapshot stays readable only while its key exists).
 */
export function supportingRemovalPolicy(dataRemovalPolicy: RemovalPolicy): RemovalPolicy {
  return dataRemovalPolicy === RemovalPolicy.SNAPSHOT ? RemovalPolicy.RETAIN : dataRemovalPolicy;
}

/** Throws `<Construct> <path>: <message>` (the message says what was given and how to fix it). */
export function validationFailure(kind: string, path: string): (message: string) => never {
  return (message) => {
    throw new Error(`${kind} ${path}: ${message}`);
  };
}

/** True for a whole number in [min, max]. */
export function isIntBetween(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

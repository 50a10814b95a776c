import { Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as aps from 'aws-cdk-lib/aws-aps';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { encryptedLogGroup } from '../compliance/encrypted-log-group';
import { keyUseThroughServicesStatement, PlatformKey } from '../compliance/platform-key';
import { validationFailure } from '../core/validation';

/** A Prometheus-compatible metrics store that analysis and dashboards query. */
export interface IMetricsWorkspace {
  /** ARN of the Amazon Managed Service for Prometheus workspace. */
  readonly workspaceArn: string;
  /** Workspace id, `ws-...`. */
  readonly workspaceId: string;
  /**
   * Base URL of the workspace's Prometheus-compatible HTTP API
   * (`https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/`); queries are SigV4-signed.
   */
  readonly prometheusEndpoint: string;
  /** Region queries are signed for. */
  readonly region: string;
  /** Allows reading metrics (PromQL queries, labels, series, metadata) and nothing else. */
  grantQuery(grantee: iam.IGrantable): iam.Grant;
  /** Allows writing metrics with Prometheus remote write and nothing else. */
  grantRemoteWrite(grantee: iam.IGrantable): iam.Grant;
}

/** Properties of a `MetricsWorkspace`. */
export interface MetricsWorkspaceProps {
  /**
   * Human name of the workspace (shown in the console).
   * @default - the construct path
   */
  readonly alias?: string;
  /**
   * Key encrypting the stored metrics (and the workspace's log group). The workspace lets
   * principals of the account use it through Amazon Managed Service for Prometheus only, and
   * CloudWatch Logs for the workspace's log group only; an imported key needs those statements
   * where it is defined.
   * @default - a new rotating PlatformKey, used that way only
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Retention of the workspace's log group (rule and alert manager events).
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the key and log group when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Actions that read a workspace: what Argo Rollouts analysis and dashboards need. */
export const QUERY_ACTIONS = ['aps:QueryMetrics', 'aps:GetLabels', 'aps:GetSeries', 'aps:GetMetricMetadata'] as const;

const ALIAS = /^[0-9A-Za-z][-.0-9A-Z_a-z]{0,99}$/;

/**
 * An Amazon Managed Service for Prometheus workspace: metrics encrypted at rest with a customer
 * managed key, workspace events logged to an encrypted log group, and access granted per
 * principal (query or remote write, scoped to this workspace) instead of account-wide.
 */
export class MetricsWorkspace extends Construct implements IMetricsWorkspace {
  /** ARN of the workspace. */
  readonly workspaceArn: string;
  /** ID of the workspace. */
  readonly workspaceId: string;
  /** Prometheus endpoint URL of the workspace. */
  readonly prometheusEndpoint: string;
  /** Region the workspace lives in. */
  readonly region: string;
  /** Key encrypting the metrics at rest. */
  readonly encryptionKey: kms.IKey;
  /** Log group of the workspace's own events. */
  readonly logGroup: logs.ILogGroup;
  /** The L1 workspace. */
  readonly resource: aps.CfnWorkspace;

  constructor(scope: Construct, id: string, props: MetricsWorkspaceProps = {}) {
    super(scope, id);
    const fail = validationFailure('MetricsWorkspace', this.node.path);
    const alias = props.alias ?? Names.uniqueResourceName(this, { maxLength: 100, separator: '-' });
    if (!ALIAS.test(alias)) fail(`alias "${alias}" is not a valid workspace alias. Fix: 1 to 100 letters, digits, ".", "_" and "-", starting with a letter or digit.`);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const stack = Stack.of(this);
    this.region = stack.region;

    this.encryptionKey = props.encryptionKey ?? new PlatformKey(this, 'Key', { description: `Encrypts the metrics of ${this.node.path}`, removalPolicy });
    // The metrics: usable only through Amazon Managed Service for Prometheus (a no-op on an
    // imported key, whose policy must say the same where it is defined). The log group binds it
    // for CloudWatch Logs itself.
    this.encryptionKey.addToResourcePolicy(keyUseThroughServicesStatement(stack, ['aps']));
    this.logGroup = vendedLogGroup(this, 'Logs', this.encryptionKey, props.logRetention, removalPolicy);

    this.resource = new aps.CfnWorkspace(this, 'Resource', {
      alias,
      kmsKeyArn: this.encryptionKey.keyArn,
      loggingConfiguration: { logGroupArn: this.logGroup.logGroupArn },
    });
    this.workspaceArn = this.resource.attrArn;
    this.workspaceId = this.resource.attrWorkspaceId;
    this.prometheusEndpoint = this.resource.attrPrometheusEndpoint;
  }

  /** Lets `grantee` query this workspace's metrics. */
  grantQuery(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: [...QUERY_ACTIONS], resourceArns: [this.workspaceArn] });
  }

  /** Lets `grantee` write metrics to this workspace with remote write. */
  grantRemoteWrite(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['aps:RemoteWrite'], resourceArns: [this.workspaceArn] });
  }
}

/**
 * A log group for logs that AWS delivers on a service's behalf ("vended" logs): the
 * `/aws/vendedlogs/` prefix keeps CloudWatch Logs' resource policy small, the key encrypts it and
 * admits CloudWatch Logs for this log group only.
 */
export function vendedLogGroup(scope: Construct, id: string, key: kms.IKey, retention: logs.RetentionDays | undefined, removalPolicy: RemovalPolicy): logs.LogGroup {
  const name = Names.uniqueResourceName(scope, { maxLength: 200, separator: '-' });
  return encryptedLogGroup(scope, id, {
    logGroupName: `/aws/vendedlogs/prometheus/${name}-${id.toLowerCase()}`,
    encryptionKey: key,
    retention: retention ?? logs.RetentionDays.ONE_YEAR,
    removalPolicy,
  });
}

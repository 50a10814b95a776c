import { Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { describeValue, validationFailure } from '../core/validation';

/**
 * The private way from a VPC to the AWS APIs: the security group of its interface endpoints and
 * the prefix list its S3 gateway endpoint routes. A security group that must call AWS names these
 * two (`allowHttpsToAwsApis`) instead of 0.0.0.0/0. A `ZeroTrustVpc` is one; for a VPC built
 * elsewhere, `AwsApiEndpoints.fromAttributes`.
 */
export interface IAwsApiEndpoints {
  /** Security group of the VPC's interface endpoints (ECR, STS, EKS, Logs, ...). */
  readonly endpointSecurityGroup: ec2.ISecurityGroup;
  /** The AWS-managed prefix list `com.amazonaws.<region>.s3`: the addresses the S3 gateway endpoint routes. */
  readonly s3PrefixList: ec2.IPrefixList;
}

/** The endpoints of a VPC that was not built by a `ZeroTrustVpc` in this app. */
export interface AwsApiEndpointsAttributes {
  /** Id of the security group on the VPC's interface endpoints, e.g. `sg-0a1b2c3d4e5f60718`. */
  readonly endpointSecurityGroupId: string;
  /**
   * Id of the AWS-managed S3 prefix list of the region (`aws ec2 describe-managed-prefix-lists
   * --filters Name=prefix-list-name,Values=com.amazonaws.<region>.s3`), e.g. `pl-6ea54007`.
   * The VPC needs an S3 gateway endpoint on the route tables of the subnets that use it.
   */
  readonly s3PrefixListId: string;
}

const PREFIX_LIST_ID = /^pl-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;

/** Factory for `IAwsApiEndpoints` of VPCs built outside this app. */
export class AwsApiEndpoints {
  /**
   * The interface endpoints' security group and the S3 prefix list of an existing VPC, from
   * their ids (written literally, so nothing is looked up). A malformed id fails synth.
   */
  static fromAttributes(scope: Construct, id: string, attrs: AwsApiEndpointsAttributes): IAwsApiEndpoints {
    const fail = validationFailure('AwsApiEndpoints.fromAttributes', `${scope.node.path}/${id}`);
    if (!Token.isUnresolved(attrs.endpointSecurityGroupId) && !SECURITY_GROUP_ID.test(attrs.endpointSecurityGroupId)) {
      fail(`endpointSecurityGroupId is ${describeValue(attrs.endpointSecurityGroupId)}, not a security group id. Fix: pass the id of the group on the VPC's interface endpoints, e.g. "sg-0a1b2c3d4e5f60718".`);
    }
    if (!Token.isUnresolved(attrs.s3PrefixListId) && !PREFIX_LIST_ID.test(attrs.s3PrefixListId)) {
      fail(`s3PrefixListId is ${describeValue(attrs.s3PrefixListId)}, not a prefix list id. Fix: pass the id of com.amazonaws.<region>.s3 (aws ec2 describe-managed-prefix-lists --filters Name=prefix-list-name,Values=com.amazonaws.<region>.s3), e.g. "pl-6ea54007".`);
    }
    const scoped = new Construct(scope, id);
    return {
      endpointSecurityGroup: ec2.SecurityGroup.fromSecurityGroupId(scoped, 'EndpointSecurityGroup', attrs.endpointSecurityGroupId, { mutable: false }),
      s3PrefixList: ec2.PrefixList.fromPrefixListId(scoped, 'S3PrefixList', attrs.s3PrefixListId),
    };
  }

  private constructor() {}
}

/**
 * Egress rules on `securityGroup` for calling AWS privately: HTTPS to the interface endpoints'
 * security group and, unless `s3` is false, HTTPS to S3 through the gateway endpoint (its prefix
 * list). Nothing else; the group must not allow all outbound traffic.
 */
export function allowHttpsToAwsApis(securityGroup: ec2.ISecurityGroup, endpoints: IAwsApiEndpoints, options: { readonly s3?: boolean } = {}): void {
  securityGroup.addEgressRule(endpoints.endpointSecurityGroup, ec2.Port.tcp(443), 'HTTPS to AWS APIs through the VPC interface endpoints');
  if (options.s3 ?? true) {
    securityGroup.addEgressRule(ec2.Peer.prefixList(endpoints.s3PrefixList.prefixListId), ec2.Port.tcp(443), 'HTTPS to S3 through the VPC gateway endpoint (AWS-managed S3 prefix list)');
  }
}

import type { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

/** An imported VPC shaped like ZeroTrustVpc (Ingress/Workloads/Data), as a consumer would pass one. */
export function importedPlatformVpc(stack: Stack, id = 'Vpc'): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, id, {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    vpcCidrBlock: '10.10.0.0/16',
    availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    publicSubnetIds: ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'],
    privateSubnetIds: ['subnet-0000000000000001a', 'subnet-0000000000000001b', 'subnet-0000000000000001c'],
    isolatedSubnetIds: ['subnet-0000000000000002a', 'subnet-0000000000000002b', 'subnet-0000000000000002c'],
    isolatedSubnetRouteTableIds: ['rtb-0000000000000002a', 'rtb-0000000000000002b', 'rtb-0000000000000002c'],
  });
}

/** A VPC whose isolated subnets are all in one AZ: invalid for the data constructs. */
export function singleAzVpc(stack: Stack): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'SingleAzVpc', {
    vpcId: 'vpc-0a1b2c3d4e5f60719',
    vpcCidrBlock: '10.20.0.0/16',
    availabilityZones: ['eu-west-1a'],
    isolatedSubnetIds: ['subnet-0000000000000003a'],
    isolatedSubnetRouteTableIds: ['rtb-0000000000000003a'],
  });
}

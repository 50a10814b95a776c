import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildPlatformApp } from '../../../lib/platform-app';
import type { PlatformStage } from '../../../lib/platform-stage';
import { DEV_AND_PROD } from '../../support/platform-contexts';
import { internetEgress } from '../../support/security-group-egress';
import { createTestApp } from '../../support/test-app';

/**
 * No route to the internet from the cluster (ADR 0020): every template of dev and prod, as the app
 * builds them. Before this: the kubectl handler and the bootstrap provider sent 443 to 0.0.0.0/0,
 * the control plane's group everything, and prod's workload subnets routed out through three NAT
 * gateways.
 */
describe('no route out', () => {
  let stages: PlatformStage[];

  beforeAll(() => {
    // GIVEN dev and prod, as synthesized by the app
    stages = buildPlatformApp(createTestApp({ context: DEV_AND_PROD }), { complianceGate: false });
  });

  const stage = (env: string) => stages.find((s) => s.config.envName === env)!;
  const templates = (s: PlatformStage) => s.node.children.filter(Stack.isStack).map((stack) => ({ stack, template: Template.fromStack(stack) }));

  test.each(['dev', 'prod'])('%s: no security group of any stack sends anything to 0.0.0.0/0 or ::/0', (env) => {
    for (const { stack, template } of templates(stage(env))) {
      expect({ stack: stack.stackName, rules: internetEgress(template) }).toEqual({ stack: stack.stackName, rules: [] });
    }
  });

  test('prod: no NAT gateway, no Elastic IP, and no subnet but the public ones has a default route', () => {
    const network = Template.fromStack(stage('prod').network);
    network.resourceCountIs('AWS::EC2::NatGateway', 0);
    network.resourceCountIs('AWS::EC2::EIP', 0);
    const defaults = Object.keys(network.findResources('AWS::EC2::Route', { Properties: { DestinationCidrBlock: '0.0.0.0/0' } }));
    expect(defaults).toHaveLength(3);
    for (const id of defaults) expect(id).toMatch(/^NetworkVpcIngressSubnet\dDefaultRoute/);
  });

  test('dev keeps one NAT gateway (config), which the workload subnets route through: the only way out', () => {
    const network = Template.fromStack(stage('dev').network);
    network.resourceCountIs('AWS::EC2::NatGateway', 1);
    const viaNat = Object.keys(network.findResources('AWS::EC2::Route', { Properties: { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: {} } }));
    expect(viaNat.sort()).toEqual([expect.stringMatching(/^NetworkVpcWorkloadsSubnet1DefaultRoute/), expect.stringMatching(/^NetworkVpcWorkloadsSubnet2DefaultRoute/)]);
  });

  test('dev and prod place the same subnets with the same logical ids: NAT on or off replaces no subnet', () => {
    const subnetIds = (env: string) => Object.keys(Template.fromStack(stage(env).network).findResources('AWS::EC2::Subnet')).sort();
    // prod has a third AZ; the first two are the same subnets as dev's
    expect(subnetIds('prod').filter((id) => !/Subnet3/.test(id))).toEqual(subnetIds('dev'));
  });
});

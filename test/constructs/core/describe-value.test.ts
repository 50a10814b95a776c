import { Aws, CfnParameter, Fn, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describeValue } from '../../../constructs/core/validation';

describe('describeValue: a value as an error message shows it, never a raw token', () => {
  const stack = new Stack(undefined, 'Team');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const parameter = new CfnParameter(stack, 'Port', { type: 'Number' });

  test.each<[string, unknown, string]>([
    ['a string, quoted', 'orders', '"orders"'],
    ['a number', 8080, '8080'],
    ['a boolean', true, 'true'],
    ['undefined', undefined, 'undefined'],
    ['a list of literals, as JSON', ['a', 'b'], '["a","b"]'],
    ['an object of literals, as JSON', { min: 1, max: 3 }, '{"min":1,"max":3}'],
  ])('%s', (_, value, shown) => {
    expect(describeValue(value)).toBe(shown);
  });

  test('a reference: what it refers to, by construct path', () => {
    expect(describeValue(vpc.isolatedSubnets[0].subnetId)).toBe('a value only known at deploy time (Ref of Team/Vpc/DataSubnet1/Subnet)');
    expect(describeValue(vpc.vpcCidrBlock)).toBe('a value only known at deploy time (CidrBlock of Team/Vpc/Resource)');
    expect(describeValue(parameter.valueAsNumber)).toBe('a value only known at deploy time (Ref of Team/Port)');
  });

  test('a string with a token inside: the literal parts and the token\'s source', () => {
    expect(describeValue(`orders-${parameter.valueAsString}`)).toBe('a value only known at deploy time ("orders-<Ref of Team/Port>")');
  });

  test('another token: its CloudFormation expression when a scope is given', () => {
    expect(describeValue(Fn.importValue('shared-cidr'), stack)).toBe('a value only known at deploy time ({"Fn::ImportValue":"shared-cidr"})');
    expect(describeValue(Aws.REGION, stack)).toBe('a value only known at deploy time ({"Ref":"AWS::Region"})');
    expect(describeValue(Lazy.string({ produce: () => 'late' }))).toBe('a value only known at deploy time');
  });

  test('lists and objects holding tokens show each member', () => {
    expect(describeValue(['10.0.0.0/16', parameter.valueAsString])).toBe('["10.0.0.0/16", a value only known at deploy time (Ref of Team/Port)]');
    expect(describeValue({ min: Token.asNumber(parameter.value), max: 3 })).toBe('{"min": a value only known at deploy time (Ref of Team/Port), "max": 3}');
    expect(describeValue(vpc.isolatedSubnets.map((s) => s.subnetId))).not.toMatch(/\$\{Token\[/);
  });
});

import type { Template } from 'aws-cdk-lib/assertions';

/** One egress rule of a security group, inline or standalone, with its peer as written in the template. */
export interface EgressRule {
  /** Logical id of the group (or the group id expression when it is not in this template). */
  readonly group: string;
  /** `CidrIp`, `DestinationPrefixListId` or `DestinationSecurityGroupId`, as a JSON string. */
  readonly peer: string;
  readonly protocol: string;
  readonly ports: string;
}

const NO_TRAFFIC = (rule: Record<string, unknown>) => rule.CidrIp === '255.255.255.255/32' && rule.IpProtocol === 'icmp';

function describe(rule: Record<string, any>, group: string): EgressRule {
  const peer = rule.CidrIp ?? rule.CidrIpv6 ?? rule.DestinationPrefixListId ?? rule.DestinationSecurityGroupId;
  return { group, peer: typeof peer === 'string' ? peer : JSON.stringify(peer), protocol: String(rule.IpProtocol), ports: rule.IpProtocol === '-1' ? 'all' : `${rule.FromPort}-${rule.ToPort}` };
}

/**
 * Every egress rule of the template's security groups: inline (`SecurityGroupEgress`) and
 * standalone (`AWS::EC2::SecurityGroupEgress`), without CDK's no-traffic placeholder; a group
 * that declares no egress at all gets CloudFormation's default allow-all rule to 0.0.0.0/0.
 */
export function egressRules(template: Template): EgressRule[] {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
  const standalone = Object.values(resources).filter((r) => r.Type === 'AWS::EC2::SecurityGroupEgress');
  const groupOf = (value: unknown) => ((value as any)?.['Fn::GetAtt']?.[0] as string | undefined) ?? JSON.stringify(value);
  const withStandalone = new Set(standalone.map((r) => groupOf(r.Properties.GroupId)));
  const rules: EgressRule[] = standalone.map((r) => describe(r.Properties, groupOf(r.Properties.GroupId)));
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::EC2::SecurityGroup') continue;
    const inline: Record<string, unknown>[] | undefined = resource.Properties.SecurityGroupEgress;
    if (inline === undefined && !withStandalone.has(id)) rules.push({ group: id, peer: '0.0.0.0/0', protocol: '-1', ports: 'all' });
    for (const rule of inline ?? []) if (!NO_TRAFFIC(rule)) rules.push(describe(rule, id));
  }
  return rules;
}

/** The egress rules of one group, sorted, without the group. */
export function egressOf(template: Template, groupLogicalId: string): Omit<EgressRule, 'group'>[] {
  return egressRules(template)
    .filter((r) => r.group === groupLogicalId)
    .map(({ peer, protocol, ports }) => ({ peer, protocol, ports }))
    .sort((a, b) => a.peer.localeCompare(b.peer));
}

/** The rules that send traffic to the internet (0.0.0.0/0 or ::/0). */
export function internetEgress(template: Template): EgressRule[] {
  return egressRules(template).filter((r) => r.peer === '0.0.0.0/0' || r.peer === '::/0');
}

import type { IConstruct } from 'constructs';

/**
 * One accepted compliance finding (cdk-nag or cfn-guard): the rule ids, the constructs they are
 * accepted on, and why. Fix the resource first; an acknowledgment is for what cannot be fixed (a
 * handler CDK writes, a documented false positive). Pass your own to
 * `applyComplianceGate(app, { acknowledgments })`; the library attaches its own
 * (`LIBRARY_ACKNOWLEDGMENTS`) to the resources it builds. Each reason is copied to
 * `cdk.out/validation-report.json` next to every finding it suppresses.
 */
export interface ComplianceAcknowledgment {
  /**
   * Namespaced rule ids, e.g. `AwsSolutions::AwsSolutions-IAM4[Policy::...]` or
   * `cdk-validator-cfnguard::lambda_inside_vpc_check`; or a function computing them from the
   * selected construct, for ids that embed CloudFormation logical ids (resolve those from the
   * construct, e.g. `Stack.of(c).resolve(child.logicalId)`, never by writing them out).
   */
  readonly ids: readonly string[] | ((construct: IConstruct) => readonly string[]);
  /** Human description of the constructs this applies to, for reviewers. */
  readonly scope: string;
  /**
   * Selects those constructs (the construct itself, never its stack or stage): by construct
   * type and role, e.g. `childOf(PlatformCluster, 'NodeRole')`, not by your app's construct ids.
   */
  readonly appliesTo: (construct: IConstruct) => boolean;
  /** Why this cannot be fixed, in terms a compliance reviewer can verify. */
  readonly reason: string;
}

/**
 * Selects the construct at exactly `segments` (child ids) below an instance of `type`, e.g.
 * `childOf(DatabaseBootstrap, 'Handler')` is the handler of every DatabaseBootstrap, whatever
 * the app calls it and wherever it lives.
 */
export function childOf(type: abstract new (...args: never[]) => unknown, ...segments: string[]): (construct: IConstruct) => boolean {
  return (construct) => {
    const scopes = construct.node.scopes;
    const owner = scopes.length - 1 - segments.length;
    return owner >= 0 && scopes[owner] instanceof type && scopes.slice(owner + 1).map((s) => s.node.id).join('/') === segments.join('/');
  };
}

/** The nearest enclosing construct of `type` (not the construct itself), if any. */
export function enclosing<T>(type: abstract new (...args: never[]) => T, construct: IConstruct): T | undefined {
  return construct.node.scopes.slice(0, -1).reverse().find((scope): scope is IConstruct & T => scope instanceof type);
}

/**
 * The rule ids `acknowledgment` accepts on `construct` (computed when `ids` is a function), e.g.
 * to check in a test that every acknowledgment of a registry suppresses at least one finding.
 */
export function acknowledgedIds(acknowledgment: ComplianceAcknowledgment, construct: IConstruct): readonly string[] {
  return typeof acknowledgment.ids === 'function' ? acknowledgment.ids(construct) : acknowledgment.ids;
}

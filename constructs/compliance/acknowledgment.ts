import { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * One accepted compliance finding (cdk-nag or cfn-guard): the rule ids, the resources they are
 * accepted on, why, what checks the risk instead, who owns the exception and until when. Fix the
 * resource first; an acknowledgment is for what cannot be fixed (a handler CDK writes, a documented
 * false positive). Pass your own to `applyComplianceGate(app, { acknowledgments })`; the library
 * attaches its own (`LIBRARY_ACKNOWLEDGMENTS`) to the resources it builds. Each reason is copied to
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
  /** Human description of the resources this applies to, for reviewers. */
  readonly scope: string;
  /**
   * Selects the resources it applies to: each selected construct is one CloudFormation resource
   * (a `CfnResource`), never a construct holding several, since an acknowledgment covers every
   * finding below the construct it is attached to. Select by construct type and role, e.g.
   * `resourceOf(PlatformCluster, (cluster) => cluster.nodeRole)`, not by your app's construct ids.
   */
  readonly appliesTo: (construct: IConstruct) => boolean;
  /** Why this cannot be fixed, in terms a compliance reviewer can verify. */
  readonly reason: string;
  /** What limits or checks the accepted risk instead of the rule (a setting, a condition, a boundary). */
  readonly compensatingControl: string;
  /**
   * The test file that proves the compensating control, as a path from the repository root, e.g.
   * `test/constructs/network/zero-trust-vpc.test.ts`.
   */
  readonly verifiedBy: string;
  /** The team that owns the exception: it renews it (new date, reviewed reason) or removes it, e.g. `platform-team`. */
  readonly owner: string;
  /**
   * The last day the exception holds, an ISO date (`YYYY-MM-DD`), at most a year out. From the
   * next day on `expiredAcknowledgments` reports it and the compliance gate fails.
   */
  readonly expires: string;
}

/** An acknowledgment past its `expires` date, as `expiredAcknowledgments` reports it. */
export interface ExpiredAcknowledgment {
  /** The acknowledgment's scope. */
  readonly scope: string;
  /** The team that owns it. */
  readonly owner: string;
  /** Its last valid day (`YYYY-MM-DD`). */
  readonly expires: string;
  /** One line for the gate's error: scope, owner, date and what to do. */
  readonly message: string;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written `YYYY-MM-DD` (not `2027-02-30`, not `2027-2-3`). */
export function isIsoDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * The acknowledgments whose `expires` date is before `today` (compared as UTC calendar dates: an
 * acknowledgment holds through its `expires` day), each with its scope, owner and date; an
 * `expires` that is not a valid `YYYY-MM-DD` date counts as expired. The compliance gate fails on
 * any: renew the entry (a reviewed reason, a new date at most a year out) or fix the resource.
 */
export function expiredAcknowledgments(acknowledgments: readonly ComplianceAcknowledgment[], today: Date): ExpiredAcknowledgment[] {
  const day = today.toISOString().slice(0, 10);
  return acknowledgments
    .filter((a) => !isIsoDate(a.expires) || a.expires < day)
    .map((a) => ({
      scope: a.scope,
      owner: a.owner,
      expires: a.expires,
      message: isIsoDate(a.expires)
        ? `Acknowledgment "${a.scope}" (owner: ${a.owner}) expired after ${a.expires}. Fix: the owner renews it (reviewed reason, new expires at most a year out) or fixes the resource and removes it.`
        : `Acknowledgment "${a.scope}" (owner: ${a.owner}) has expires ${JSON.stringify(a.expires)}, which is not a date YYYY-MM-DD. Fix: give the last day it holds, e.g. "2027-06-30".`,
    }));
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
 * Selects the one CloudFormation resource of a construct that an owner of `type` holds, by object
 * identity: `resourceOf(PlatformCluster, (cluster) => cluster.nodeRole)` selects the
 * `AWS::IAM::Role` of the node role of every PlatformCluster, and nothing else (not the role's
 * default policy, not a look-alike elsewhere with the same id). `pick` gets the nearest enclosing
 * instance of `type` and returns a `CfnResource`, or an L2 construct standing for its
 * `node.defaultChild`; `undefined` selects nothing.
 */
export function resourceOf<T>(type: abstract new (...args: never[]) => T, pick: (owner: T) => IConstruct | undefined): (construct: IConstruct) => boolean {
  return (construct) => {
    if (!CfnResource.isCfnResource(construct)) return false;
    const owner = enclosing(type, construct);
    if (owner === undefined) return false;
    const picked = pick(owner);
    return picked !== undefined && (picked === construct || picked.node.defaultChild === construct);
  };
}

/**
 * The rule ids `acknowledgment` accepts on `construct` (computed when `ids` is a function), e.g.
 * to check in a test that every acknowledgment of a registry suppresses at least one finding.
 */
export function acknowledgedIds(acknowledgment: ComplianceAcknowledgment, construct: IConstruct): readonly string[] {
  return typeof acknowledgment.ids === 'function' ? acknowledgment.ids(construct) : acknowledgment.ids;
}

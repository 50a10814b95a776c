/**
 * Helpers the constructs use to wire themselves to each other: deploy ordering that is computed
 * once the whole app exists, and the identity of an EKS cluster for "same cluster?" checks.
 * Everything is read from the construct tree of the app, never from module-level state.
 */
import { Reference, Token, Tokenization } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { Dependable, type IConstruct, type IDependable } from 'constructs';
import { describeValue } from './validation';

/**
 * A dependable whose members are computed when the app is prepared for synthesis, after every
 * construct exists: ordering then does not depend on which construct was created first.
 */
export function lazyDependable(produce: () => IDependable[]): IDependable {
  const dependable: IDependable = {};
  Dependable.implement(dependable, {
    get dependencyRoots(): IConstruct[] {
      return produce().flatMap((d) => Dependable.of(d).dependencyRoots);
    },
  });
  return dependable;
}

/** Every construct of the app (the root of `scope`'s tree) that passes `test`. */
export function findInApp<T extends IConstruct>(scope: IConstruct, test: (c: IConstruct) => c is T): T[] {
  return scope.node.root.node.findAll().filter(test);
}

/**
 * What identifies an EKS cluster: the CloudFormation resource behind its name (a cluster made in
 * this app, or a handle imported from its name attribute), or else its literal name in its
 * account and region (a cluster imported by name).
 */
export function clusterIdentity(cluster: eks.ICluster): string {
  const name = cluster.clusterName;
  if (Token.isUnresolved(name)) {
    const token = Tokenization.reverseString(name).firstToken;
    if (token && Reference.isReference(token)) return `resource:${token.target.node.path}`;
    return `token:${name}`;
  }
  return `name:${cluster.env.account}/${cluster.env.region}/${name}`;
}

/** True when both handles stand for the same EKS cluster (see `clusterIdentity`). */
export function sameCluster(a: eks.ICluster, b: eks.ICluster): boolean {
  return a === b || clusterIdentity(a) === clusterIdentity(b);
}

/** A cluster as error messages show it: its construct path, and its name when that is a literal. */
export function describeCluster(cluster: eks.ICluster): string {
  const name = Token.isUnresolved(cluster.clusterName) ? '' : ` (name ${describeValue(cluster.clusterName)})`;
  return `${cluster.node.path}${name}`;
}

/**
 * The managed node groups of `cluster` in this app (none for a cluster made elsewhere, whose
 * nodes already run): charts and workloads are applied once they are up. Read when the app is
 * prepared, so node groups added later count too.
 */
export function clusterCapacity(scope: IConstruct, cluster: eks.ICluster): IDependable {
  return lazyDependable(() => findInApp(scope, (c): c is eks.Nodegroup => c instanceof eks.Nodegroup && sameCluster(c.cluster, cluster)));
}

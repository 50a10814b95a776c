import type { IAspect } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { PlatformKey } from './platform-key';

/**
 * Makes the given roles administrators of every `PlatformKey` in a scope, e.g. a stage:
 * `Aspects.of(stage).add(new KeyAdministrators([breakGlassRole]))`. They may manage each key
 * (policy, rotation, description, tags, aliases, enabling, deletion) but not use it; the keys'
 * users stay the ones each construct names. Roles must be of the keys' account.
 */
export class KeyAdministrators implements IAspect {
  private readonly roles: readonly iam.IRole[];

  /** @param roles the administrator roles */
  constructor(roles: readonly iam.IRole[]) {
    this.roles = [...roles];
  }

  /** Adds the roles to `node` if it is a PlatformKey. */
  visit(node: IConstruct): void {
    if (node instanceof PlatformKey) node.addAdministrators(...this.roles);
  }
}

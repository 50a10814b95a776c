import type * as iam from 'aws-cdk-lib/aws-iam';

/**
 * A grantee whose grants land in a customer managed policy attached to `role`, instead of the
 * role's inline default policy (HIPAA/NIST/PCI packs refuse inline policies). Pass it to any
 * `grantXxx(grantee)`; the statements stay exactly as scoped as the grant makes them. The
 * policy is created (by `createPolicy`) on the first grant only: an empty managed policy is
 * invalid, and a role without grants needs none.
 */
export function managedPolicyGrantee(role: iam.IRole, createPolicy: () => iam.ManagedPolicy): iam.IGrantable {
  let policy: iam.ManagedPolicy | undefined;
  const principal: iam.IPrincipal = {
    get grantPrincipal() {
      return principal;
    },
    assumeRoleAction: role.assumeRoleAction,
    policyFragment: role.policyFragment,
    principalAccount: role.principalAccount,
    addToPrincipalPolicy: (statement) => {
      policy ??= createPolicy();
      policy.addStatements(statement);
      return { statementAdded: true, policyDependable: policy };
    },
  };
  return principal;
}

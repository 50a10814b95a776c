export * from './validation';
export * from './managed-policy-grantee';

export * from './validation';
export * from './managed-policy-grantee';
export * from './composition';

/**
 * Which EC2 instance types can carry pods with their own security groups (EKS security groups for
 * pods): the VPC resource controller attaches a trunk network interface to such a node and one
 * branch network interface per pod, up to the type's branch limit. ADR 0019.
 *
 * Source: `pkg/aws/vpc/limits.go` of aws/amazon-vpc-resource-controller-k8s at tag v1.7.19
 * (commit 3b261b79da33a56604c1493f3c481f53f78564de, file generated 2026-03-20), the list the EKS
 * user guide points to ("Your nodes must be one of the listed instance types that have
 * `IsTrunkingCompatible: true`"). Every type listed there with `IsTrunkingCompatible: true` is
 * here with its `BranchInterface` count; the 104 types listed as not trunking compatible (every
 * `t` type, for example) and types newer than that file are absent. Update from a newer tag of
 * that file when a new instance family is wanted.
 */

/** The upstream file the table below is read from. */
export const TRUNK_INSTANCE_TYPES_SOURCE = 'aws/amazon-vpc-resource-controller-k8s v1.7.19 pkg/aws/vpc/limits.go';

/** Branch network interfaces per trunking-compatible instance type, by family then size. */
const BRANCH_INTERFACES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  a1: { '2xlarge': 38, '4xlarge': 54, large: 9, medium: 10, metal: 54, xlarge: 18 },
  c5: { '12xlarge': 54, '18xlarge': 107, '24xlarge': 107, '2xlarge': 38, '4xlarge': 54, '9xlarge': 54, large: 9, metal: 107, xlarge: 18 },
  c5a: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, xlarge: 18 },
  c5ad: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, xlarge: 18 },
  c5d: { '12xlarge': 54, '18xlarge': 107, '24xlarge': 107, '2xlarge': 38, '4xlarge': 54, '9xlarge': 54, large: 9, metal: 107, xlarge: 18 },
  c5n: { '18xlarge': 107, '2xlarge': 38, '4xlarge': 54, '9xlarge': 54, large: 9, metal: 107, xlarge: 18 },
  c6a: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '32xlarge': 107, '48xlarge': 107, '4xlarge': 54, '8xlarge': 84, large: 9, metal: 107, xlarge: 18 },
  c6g: { '12xlarge': 54, '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, metal: 107, xlarge: 18 },
  c6gd: { '12xlarge': 54, '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, metal: 107, xlarge: 18 },
  c6gn: { '12xlarge': 54, '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, xlarge: 18 },
  c6i: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '32xlarge': 107, '4xlarge': 54, '8xlarge': 84, large: 9, metal: 107, xlarge: 18 },
  c6id: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '32xlarge': 107, '4xlarge': 54, '8xlarge': 84, large: 9, metal: 107, xlarge: 18 },
  c6in: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '32xlarge': 106, '4xlarge': 54, '8xlarge': 84, large: 9, metal: 106, xlarge: 18 },
  c7a: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '32xlarge': 107, '48xlarge': 107, '4xlarge': 54, '8xlarge': 84, large: 9, medium: 4, 'metal-48xl': 107, xlarge: 18 },
  c7g: { '12xlarge': 54, '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, metal: 107, xlarge: 18 },
  c7gd: { '12xlarge': 54, '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, metal: 107, xlarge: 18 },
  c7gn: { '12xlarge': 54, '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, metal: 107, xlarge: 18 },
  c7i: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '48xlarge': 107, '4xlarge': 54, '8xlarge': 84, large: 9, 'metal-24xl': 107, 'metal-48xl': 107, xlarge: 18 },
  'c7i-flex': { '12xlarge': 114, '16xlarge': 107, '2xlarge': 18, '4xlarge': 34, '8xlarge': 54, large: 3, xlarge: 8 },
  c8a: { '12xlarge': 110, '16xlarge': 106, '24xlarge': 106, '2xlarge': 38, '48xlarge': 98, '4xlarge': 54, '8xlarge': 82, large: 9, medium: 4, 'metal-24xl': 106, 'metal-48xl': 98, xlarge: 18 },
  c8g: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '48xlarge': 107, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, 'metal-24xl': 107, 'metal-48xl': 107, xlarge: 18 },
  c8gb: { '12xlarge': 50, '16xlarge': 106, '24xlarge': 98, '2xlarge': 38, '48xlarge': 98, '4xlarge': 54, '8xlarge': 52, large: 9, medium: 4, xlarge: 18 },
  c8gd: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '48xlarge': 107, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, 'metal-24xl': 107, 'metal-48xl': 107, xlarge: 18 },
  c8gn: { '12xlarge': 50, '16xlarge': 106, '24xlarge': 98, '2xlarge': 38, '48xlarge': 98, '4xlarge': 54, '8xlarge': 52, large: 9, medium: 4, xlarge: 18 },
  c8i: { '12xlarge': 110, '16xlarge': 106, '24xlarge': 106, '2xlarge': 38, '32xlarge': 98, '48xlarge': 98, '4xlarge': 54, '8xlarge': 82, '96xlarge': 98, large: 9, 'metal-48xl': 98, 'metal-96xl': 98, xlarge: 18 },
  'c8i-flex': { '12xlarge': 110, '16xlarge': 106, '2xlarge': 18, '4xlarge': 34, '8xlarge': 52, large: 3, xlarge: 8 },
  c8id: { '12xlarge': 110, '16xlarge': 106, '24xlarge': 106, '2xlarge': 38, '32xlarge': 98, '48xlarge': 98, '4xlarge': 54, '8xlarge': 82, '96xlarge': 98, large: 9, 'metal-48xl': 98, 'metal-96xl': 98, xlarge: 18 },
  d3: { '2xlarge': 92, '4xlarge': 118, '8xlarge': 119, xlarge: 42 },
  d3en: { '12xlarge': 119, '2xlarge': 58, '4xlarge': 118, '6xlarge': 118, '8xlarge': 118, xlarge: 24 },
  dl1: { '24xlarge': 62 },
  dl2q: { '24xlarge': 107 },
  f2: { '12xlarge': 114, '48xlarge': 107, '6xlarge': 84 },
  g4ad: { '16xlarge': 6, '2xlarge': 12, '4xlarge': 11, '8xlarge': 10, xlarge: 12 },
  g4dn: { '12xlarge': 54, '16xlarge': 118, '2xlarge': 39, '4xlarge': 59, '8xlarge': 58, metal: 107, xlarge: 39 },
  g5: { '12xlarge': 107, '16xlarge': 114, '24xlarge': 107, '2xlarge': 17, '48xlarge': 115, '4xlarge': 34, '8xlarge': 84, xlarge: 4 },
  g5g: { '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, metal: 107, xlarge: 18 },
  g6: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '48xlarge': 107, '4xlarge': 54, '8xlarge': 84, xlarge: 18 },
  g6e: { '12xlarge': 112, '16xlarge': 107, '24xlarge': 102, '2xlarge': 38, '48xlarge': 82, '4xlarge': 54, '8xlarge': 84, xlarge: 18 },
  g6f: { '2xlarge': 38, '4xlarge': 54, large: 10, xlarge: 18 },
  g7e: { '12xlarge': 120, '24xlarge': 120, '2xlarge': 120, '48xlarge': 120, '4xlarge': 120, '8xlarge': 120 },
  gr6: { '4xlarge': 54, '8xlarge': 84 },
  gr6f: { '4xlarge': 54 },
  i3: { metal: 120 },
  i3en: { '12xlarge': 54, '24xlarge': 107, '2xlarge': 28, '3xlarge': 38, '6xlarge': 54, large: 5, metal: 107, xlarge: 12 },
  i4g: { '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, xlarge: 18 },
  i4i: { '12xlarge': 112, '16xlarge': 120, '24xlarge': 105, '2xlarge': 26, '32xlarge': 120, '4xlarge': 52, '8xlarge': 112, metal: 120, xlarge: 6 },
  i7i: { '12xlarge': 84, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '48xlarge': 107, '4xlarge': 54, '8xlarge': 84, large: 9, 'metal-24xl': 107, 'metal-48xl': 107, xlarge: 18 },
  i7ie: { '12xlarge': 54, '18xlarge': 107, '24xlarge': 107, '2xlarge': 27, '3xlarge': 27, '48xlarge': 107, '6xlarge': 54, large: 19, 'metal-24xl': 107, 'metal-48xl': 107, xlarge: 27 },
  i8g: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '48xlarge': 107, '4xlarge': 54, '8xlarge': 54, large: 9, 'metal-24xl': 107, 'metal-48xl': 107, xlarge: 18 },
  i8ge: { '12xlarge': 50, '18xlarge': 106, '24xlarge': 106, '2xlarge': 27, '3xlarge': 25, '48xlarge': 98, '6xlarge': 52, large: 19, 'metal-24xl': 106, 'metal-48xl': 98, xlarge: 27 },
  im4gn: { '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, xlarge: 18 },
  inf1: { '24xlarge': 111, '2xlarge': 38, '6xlarge': 54, xlarge: 38 },
  inf2: { '24xlarge': 107, '48xlarge': 107, '8xlarge': 84, xlarge: 18 },
  is4gen: { '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, xlarge: 18 },
  m5: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, metal: 120, xlarge: 18 },
  m5a: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, xlarge: 18 },
  m5ad: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, xlarge: 18 },
  m5d: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, metal: 107, xlarge: 18 },
  m5dn: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, metal: 107, xlarge: 18 },
  m5n: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, metal: 107, xlarge: 18 },
  m5zn: { '12xlarge': 107, '2xlarge': 62, '3xlarge': 92, '6xlarge': 114, large: 13, metal: 107, xlarge: 29 },
  m6a: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '32xlarge': 107, '48xlarge': 107, '4xlarge': 54, '8xlarge': 84, large: 9, metal: 107, xlarge: 18 },
  m6g: { '12xlarge': 54, '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, metal: 107, xlarge: 18 },
  m6gd: { '12xlarge': 54, '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, metal: 107, xlarge: 18 },
  m6i: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '32xlarge': 107, '4xlarge': 54, '8xlarge': 84, large: 9, metal: 107, xlarge: 18 },
  m6id: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '32xlarge': 107, '4xlarge': 54, '8xlarge': 84, large: 9, metal: 107, xlarge: 18 },
  m6idn: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '32xlarge': 106, '4xlarge': 54, '8xlarge': 84, large: 9, metal: 106, xlarge: 18 },
  m6in: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '32xlarge': 106, '4xlarge': 54, '8xlarge': 84, large: 9, metal: 106, xlarge: 18 },
  m7a: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '32xlarge': 107, '48xlarge': 107, '4xlarge': 54, '8xlarge': 84, large: 9, medium: 4, 'metal-48xl': 107, xlarge: 18 },
  m7g: { '12xlarge': 54, '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, metal: 107, xlarge: 18 },
  m7gd: { '12xlarge': 54, '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, metal: 107, xlarge: 18 },
  m7i: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '48xlarge': 107, '4xlarge': 54, '8xlarge': 84, large: 9, 'metal-24xl': 107, 'metal-48xl': 107, xlarge: 18 },
  'm7i-flex': { '12xlarge': 114, '16xlarge': 107, '2xlarge': 18, '4xlarge': 34, '8xlarge': 54, large: 3, xlarge: 8 },
  m8a: { '12xlarge': 110, '16xlarge': 106, '24xlarge': 106, '2xlarge': 38, '48xlarge': 98, '4xlarge': 54, '8xlarge': 82, large: 9, medium: 4, 'metal-24xl': 106, 'metal-48xl': 98, xlarge: 18 },
  m8azn: { '12xlarge': 106, '24xlarge': 106, '3xlarge': 34, '6xlarge': 54, large: 8, medium: 3, 'metal-12xl': 106, 'metal-24xl': 106, xlarge: 18 },
  m8g: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '48xlarge': 107, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, 'metal-24xl': 107, 'metal-48xl': 107, xlarge: 18 },
  m8gb: { '12xlarge': 50, '16xlarge': 106, '24xlarge': 98, '2xlarge': 38, '48xlarge': 98, '4xlarge': 54, '8xlarge': 52, large: 9, medium: 4, xlarge: 18 },
  m8gd: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '48xlarge': 107, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, 'metal-24xl': 107, 'metal-48xl': 107, xlarge: 18 },
  m8gn: { '12xlarge': 50, '16xlarge': 106, '24xlarge': 98, '2xlarge': 38, '48xlarge': 98, '4xlarge': 54, '8xlarge': 52, large: 9, medium: 4, xlarge: 18 },
  m8i: { '12xlarge': 110, '16xlarge': 106, '24xlarge': 106, '2xlarge': 38, '32xlarge': 98, '48xlarge': 98, '4xlarge': 54, '8xlarge': 82, '96xlarge': 98, large: 9, 'metal-48xl': 98, 'metal-96xl': 98, xlarge: 18 },
  'm8i-flex': { '12xlarge': 110, '16xlarge': 106, '2xlarge': 18, '4xlarge': 34, '8xlarge': 52, large: 3, xlarge: 8 },
  m8id: { '12xlarge': 110, '16xlarge': 106, '24xlarge': 106, '2xlarge': 38, '32xlarge': 98, '48xlarge': 98, '4xlarge': 54, '8xlarge': 82, '96xlarge': 98, large: 9, 'metal-48xl': 98, 'metal-96xl': 98, xlarge: 18 },
  'mac-m4': { metal: 6 },
  'mac-m4max': { metal: 6 },
  'mac-m4pro': { metal: 6 },
  mac1: { metal: 6 },
  mac2: { metal: 6 },
  'mac2-m1ultra': { metal: 6 },
  'mac2-m2': { metal: 6 },
  'mac2-m2pro': { metal: 6 },
  p3dn: { '24xlarge': 107 },
  p4d: { '24xlarge': 62 },
  p4de: { '24xlarge': 62 },
  p5: { '48xlarge': 120, '4xlarge': 58 },
  p5e: { '48xlarge': 120 },
  p5en: { '48xlarge': 120 },
  'p6-b200': { '48xlarge': 120 },
  'p6-b300': { '48xlarge': 120 },
  r5: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, metal: 120, xlarge: 18 },
  r5a: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, xlarge: 18 },
  r5ad: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, xlarge: 18 },
  r5b: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, metal: 107, xlarge: 18 },
  r5d: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, metal: 107, xlarge: 18 },
  r5dn: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, metal: 107, xlarge: 18 },
  r5n: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, metal: 107, xlarge: 18 },
  r6a: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '32xlarge': 107, '48xlarge': 107, '4xlarge': 54, '8xlarge': 84, large: 9, metal: 107, xlarge: 18 },
  r6g: { '12xlarge': 54, '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, metal: 107, xlarge: 18 },
  r6gd: { '12xlarge': 54, '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, metal: 107, xlarge: 18 },
  r6i: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '32xlarge': 107, '4xlarge': 54, '8xlarge': 84, large: 9, metal: 107, xlarge: 18 },
  r6id: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '32xlarge': 107, '4xlarge': 54, '8xlarge': 84, large: 9, metal: 107, xlarge: 18 },
  r6idn: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '32xlarge': 106, '4xlarge': 54, '8xlarge': 84, large: 9, metal: 106, xlarge: 18 },
  r6in: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '32xlarge': 106, '4xlarge': 54, '8xlarge': 84, large: 9, metal: 106, xlarge: 18 },
  r7a: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '32xlarge': 107, '48xlarge': 107, '4xlarge': 54, '8xlarge': 84, large: 9, medium: 4, 'metal-48xl': 107, xlarge: 18 },
  r7g: { '12xlarge': 54, '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, metal: 107, xlarge: 18 },
  r7gd: { '12xlarge': 54, '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, metal: 107, xlarge: 18 },
  r7i: { '12xlarge': 114, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '48xlarge': 107, '4xlarge': 54, '8xlarge': 84, large: 9, 'metal-24xl': 107, 'metal-48xl': 107, xlarge: 18 },
  r7iz: { '12xlarge': 114, '16xlarge': 107, '2xlarge': 38, '32xlarge': 107, '4xlarge': 54, '8xlarge': 84, large: 9, 'metal-16xl': 107, 'metal-32xl': 107, xlarge: 18 },
  r8a: { '12xlarge': 110, '16xlarge': 106, '24xlarge': 106, '2xlarge': 38, '48xlarge': 98, '4xlarge': 54, '8xlarge': 82, large: 9, medium: 4, 'metal-24xl': 106, 'metal-48xl': 98, xlarge: 18 },
  r8g: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '48xlarge': 107, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, 'metal-24xl': 107, 'metal-48xl': 107, xlarge: 18 },
  r8gb: { '12xlarge': 50, '16xlarge': 106, '24xlarge': 98, '2xlarge': 38, '48xlarge': 98, '4xlarge': 54, '8xlarge': 52, large: 9, medium: 4, xlarge: 18 },
  r8gd: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '48xlarge': 107, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, 'metal-24xl': 107, 'metal-48xl': 107, xlarge: 18 },
  r8gn: { '12xlarge': 50, '16xlarge': 106, '24xlarge': 98, '2xlarge': 38, '48xlarge': 98, '4xlarge': 54, '8xlarge': 52, large: 9, medium: 4, xlarge: 18 },
  r8i: { '12xlarge': 110, '16xlarge': 106, '24xlarge': 106, '2xlarge': 38, '32xlarge': 98, '48xlarge': 98, '4xlarge': 54, '8xlarge': 82, '96xlarge': 98, large: 9, 'metal-48xl': 98, 'metal-96xl': 98, xlarge: 18 },
  'r8i-flex': { '12xlarge': 110, '16xlarge': 106, '2xlarge': 18, '4xlarge': 34, '8xlarge': 52, large: 3, xlarge: 8 },
  r8id: { '12xlarge': 110, '16xlarge': 106, '24xlarge': 106, '2xlarge': 38, '32xlarge': 98, '48xlarge': 98, '4xlarge': 54, '8xlarge': 82, '96xlarge': 98, large: 9, 'metal-48xl': 98, 'metal-96xl': 98, xlarge: 18 },
  trn1: { '2xlarge': 17, '32xlarge': 82 },
  trn1n: { '32xlarge': 120 },
  'u-3tb1': { '56xlarge': 6 },
  'u7i-12tb': { '224xlarge': 107 },
  'u7i-6tb': { '112xlarge': 107 },
  'u7i-8tb': { '112xlarge': 107 },
  'u7in-16tb': { '224xlarge': 106 },
  'u7in-24tb': { '224xlarge': 106 },
  'u7in-32tb': { '224xlarge': 106 },
  vt1: { '24xlarge': 107, '3xlarge': 38, '6xlarge': 54 },
  x2gd: { '12xlarge': 54, '16xlarge': 107, '2xlarge': 38, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 10, metal: 107, xlarge: 18 },
  x2idn: { '16xlarge': 107, '24xlarge': 107, '32xlarge': 107, metal: 107 },
  x2iedn: { '16xlarge': 107, '24xlarge': 107, '2xlarge': 27, '32xlarge': 107, '4xlarge': 54, '8xlarge': 114, metal: 107, xlarge: 11 },
  x2iezn: { '12xlarge': 107, '2xlarge': 62, '4xlarge': 114, '6xlarge': 114, '8xlarge': 114, metal: 107 },
  x8aedz: { '12xlarge': 106, '24xlarge': 106, '3xlarge': 34, '6xlarge': 54, large: 8, 'metal-12xl': 106, 'metal-24xl': 106, xlarge: 18 },
  x8g: { '12xlarge': 54, '16xlarge': 107, '24xlarge': 107, '2xlarge': 38, '48xlarge': 107, '4xlarge': 54, '8xlarge': 54, large: 9, medium: 4, 'metal-24xl': 107, 'metal-48xl': 107, xlarge: 18 },
  x8i: { '12xlarge': 110, '16xlarge': 106, '24xlarge': 106, '2xlarge': 38, '32xlarge': 98, '48xlarge': 98, '4xlarge': 54, '64xlarge': 98, '8xlarge': 82, '96xlarge': 98, large: 9, 'metal-48xl': 98, 'metal-96xl': 98, xlarge: 18 },
  z1d: { '12xlarge': 107, '2xlarge': 58, '3xlarge': 54, '6xlarge': 54, large: 13, metal: 107, xlarge: 28 },
};

/**
 * How many pods with their own security groups a node of `instanceType` (e.g. `m7i.large`) can
 * run: its branch network interface limit, or `undefined` for a type that cannot attach a trunk
 * interface (or is not in `TRUNK_INSTANCE_TYPES_SOURCE`).
 */
export function branchNetworkInterfacesOf(instanceType: string): number | undefined {
  const dot = instanceType.indexOf('.');
  const [family, size] = [instanceType.slice(0, dot), instanceType.slice(dot + 1)];
  if (dot < 0 || !Object.hasOwn(BRANCH_INTERFACES, family) || !Object.hasOwn(BRANCH_INTERFACES[family], size)) return undefined;
  return BRANCH_INTERFACES[family][size];
}

/** True when nodes of `instanceType` can run pods with their own security groups. */
export function isTrunkingCompatible(instanceType: string): boolean {
  return branchNetworkInterfacesOf(instanceType) !== undefined;
}

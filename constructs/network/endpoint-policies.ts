import { CfnMapping, Fn, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { describeValue, validationFailure } from '../core/validation';

/**
 * The account of the Amazon EKS add-on image registry (`<account>.dkr.ecr.<region>.amazonaws.com`)
 * in each region: the VPC CNI, kube-proxy, CoreDNS and Pod Identity agent images the nodes pull
 * through the ECR endpoints live there, in an AWS-owned account. From the EKS user guide, "View
 * Amazon container image registries for Amazon EKS add-ons" (`add-ons-images`).
 */
export const EKS_ADDON_IMAGE_REGISTRY_ACCOUNTS: Readonly<Record<string, string>> = {
  'af-south-1': '877085696533',
  'ap-east-1': '800184023465',
  'ap-northeast-1': '602401143452',
  'ap-northeast-2': '602401143452',
  'ap-northeast-3': '602401143452',
  'ap-south-1': '602401143452',
  'ap-south-2': '900889452093',
  'ap-southeast-1': '602401143452',
  'ap-southeast-2': '602401143452',
  'ap-southeast-3': '296578399912',
  'ap-southeast-4': '491585149902',
  'ca-central-1': '602401143452',
  'ca-west-1': '761377655185',
  'cn-north-1': '918309763551',
  'cn-northwest-1': '961992271922',
  'eu-central-1': '602401143452',
  'eu-central-2': '900612956339',
  'eu-north-1': '602401143452',
  'eu-south-1': '590381155156',
  'eu-south-2': '455263428931',
  'eu-west-1': '602401143452',
  'eu-west-2': '602401143452',
  'eu-west-3': '602401143452',
  'il-central-1': '066635153087',
  'me-central-1': '759879836304',
  'me-south-1': '558608220178',
  'sa-east-1': '602401143452',
  'us-east-1': '602401143452',
  'us-east-2': '602401143452',
  'us-gov-east-1': '151742754352',
  'us-gov-west-1': '013241004608',
  'us-west-1': '602401143452',
  'us-west-2': '602401143452',
};

/** The ECR actions of an image pull (manifest, layer URLs, layer checks): nothing that writes. */
const IMAGE_PULL_ACTIONS = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'];

const ACCOUNT_ID = /^\d{12}$/;
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;

/** Who may use the endpoints of a VPC, and which resources they may reach through them. */
export interface EndpointPerimeterOptions {
  /** AWS Organizations organization whose principals may reach its resources. @default - this account only */
  readonly organizationId?: string;
  /** Accounts whose ECR repositories may be pulled from (pull actions only). @default - none */
  readonly imageRegistryAccounts?: string[];
  /** Account of the region's Amazon EKS add-on image registry. @default - from `EKS_ADDON_IMAGE_REGISTRY_ACCOUNTS` */
  readonly eksAddonImageRegistryAccount?: string;
}

/**
 * Endpoint policies that make a VPC's endpoints a data perimeter: a request passes an endpoint
 * only when its principal is of this account (`aws:PrincipalAccount`) and so is the resource it
 * acts on (`aws:ResourceAccount`), or both are of the organization when one is given
 * (`aws:PrincipalOrgID`, `aws:ResourceOrgID`). Anonymous requests and credentials of other
 * accounts are refused at the endpoint, and this VPC's principals cannot reach other accounts'
 * resources through it (the statements follow aws-samples/data-perimeter-policy-examples).
 *
 * The exceptions are the AWS-owned resources the platform reaches through the endpoints, each for
 * its actions only:
 * - ECR (api and dkr): image pulls from the region's Amazon EKS add-on registry (the managed
 *   add-ons' images) and from `imageRegistryAccounts` (e.g. the delivery pipeline's repository),
 *   by this account's principals;
 * - S3 (gateway): `s3:GetObject` on ECR's layer bucket `prod-<region>-starport-layer-bucket`
 *   (image layers are fetched with URLs that ECR presigns with its own account), and
 *   `s3:PutObject` on CloudFormation's `cloudformation-custom-resource-response-<region without
 *   dashes>` (custom-resource functions in the VPC, such as the kubectl provider's, answer
 *   CloudFormation through a URL it presigns). Both are AWS service accounts: no principal or
 *   resource account condition can name them.
 */
export class EndpointPerimeter {
  private readonly account: string;
  private readonly partition: string;
  private readonly region: string;
  private readonly organizationId?: string;
  private readonly imageRegistryAccounts: string[];
  private readonly eksAddonImageRegistryAccount: string;

  constructor(scope: Construct, options: EndpointPerimeterOptions) {
    const stack = Stack.of(scope);
    const fail = validationFailure('ZeroTrustVpc', scope.node.path);
    validateOptions(fail, scope, options);
    this.account = stack.account;
    this.partition = stack.partition;
    this.region = stack.region;
    this.organizationId = options.organizationId;
    this.imageRegistryAccounts = [...(options.imageRegistryAccounts ?? [])];
    this.eksAddonImageRegistryAccount = options.eksAddonImageRegistryAccount ?? eksAddonRegistryOf(scope, fail, stack.region);
  }

  /** The statements of an interface endpoint's policy, by the endpoint's service short name (e.g. `ecr.dkr`). */
  interfaceEndpointStatements(serviceShortName: string): iam.PolicyStatement[] {
    const statements = this.ownStatements();
    if (serviceShortName === 'ecr.api' || serviceShortName === 'ecr.dkr') {
      const accounts = [this.eksAddonImageRegistryAccount, ...this.imageRegistryAccounts];
      statements.push(new iam.PolicyStatement({
        sid: 'PullImagesOfEksAddonsAndTrustedRegistries',
        principals: [new iam.AnyPrincipal()],
        actions: IMAGE_PULL_ACTIONS,
        resources: accounts.map((account) => `arn:${this.partition}:ecr:${this.region}:${account}:repository/*`),
        conditions: { StringEquals: { 'aws:PrincipalAccount': this.account } },
      }));
    }
    return statements;
  }

  /** The statements of the S3 gateway endpoint's policy. */
  s3GatewayStatements(): iam.PolicyStatement[] {
    const regionWithoutDashes = Token.isUnresolved(this.region) ? Fn.join('', Fn.split('-', this.region)) : this.region.replace(/-/g, '');
    return [
      ...this.ownStatements(),
      new iam.PolicyStatement({
        sid: 'EcrImageLayers',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject'],
        resources: [`arn:${this.partition}:s3:::prod-${this.region}-starport-layer-bucket/*`],
      }),
      new iam.PolicyStatement({
        sid: 'CloudFormationCustomResourceResponses',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [`arn:${this.partition}:s3:::cloudformation-custom-resource-response-${regionWithoutDashes}/*`],
      }),
    ];
  }

  private ownStatements(): iam.PolicyStatement[] {
    const statements = [new iam.PolicyStatement({
      sid: 'OwnPrincipalsToOwnResources',
      principals: [new iam.AnyPrincipal()],
      actions: ['*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:PrincipalAccount': this.account, 'aws:ResourceAccount': this.account } },
    })];
    if (this.organizationId !== undefined) {
      statements.push(new iam.PolicyStatement({
        sid: 'OrganizationPrincipalsToOrganizationResources',
        principals: [new iam.AnyPrincipal()],
        actions: ['*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:PrincipalOrgID': this.organizationId, 'aws:ResourceOrgID': this.organizationId } },
      }));
    }
    return statements;
  }
}

/** The registry account of a literal region from the table, or a FindInMap over it for a region known at deploy time only. */
function eksAddonRegistryOf(scope: Construct, fail: (message: string) => never, region: string): string {
  if (!Token.isUnresolved(region)) {
    const account = EKS_ADDON_IMAGE_REGISTRY_ACCOUNTS[region];
    if (account === undefined) {
      fail(`the region ${describeValue(region)} has no known Amazon EKS add-on image registry, so its ECR endpoints could not admit the add-ons' images. Fix: set eksAddonImageRegistryAccount to the account of that region's registry (EKS user guide, "View Amazon container image registries for Amazon EKS add-ons").`);
    }
    return account!;
  }
  const mapping = new CfnMapping(scope, 'EksAddonImageRegistries', {
    mapping: Object.fromEntries(Object.entries(EKS_ADDON_IMAGE_REGISTRY_ACCOUNTS).map(([r, account]) => [r, { account }])),
  });
  return mapping.findInMap(region, 'account');
}

function validateOptions(fail: (message: string) => never, scope: Construct, options: EndpointPerimeterOptions): void {
  const { organizationId } = options;
  if (organizationId !== undefined && !Token.isUnresolved(organizationId) && !ORGANIZATION_ID.test(organizationId)) {
    fail(`organizationId is ${describeValue(organizationId)}, not an AWS Organizations organization id. Fix: use the id from \`aws organizations describe-organization\` (o- and 10 to 32 lowercase letters or digits), or leave it unset to admit this account only.`);
  }
  const accounts: [string, string | undefined][] = [
    ...(options.imageRegistryAccounts ?? []).map((account, i): [string, string] => [`imageRegistryAccounts[${i}]`, account]),
    ['eksAddonImageRegistryAccount', options.eksAddonImageRegistryAccount],
  ];
  for (const [setting, account] of accounts) {
    if (account === undefined || Token.isUnresolved(account)) continue;
    if (!ACCOUNT_ID.test(account)) fail(`${setting} is ${describeValue(account, scope)}, not a 12-digit AWS account id. Fix: write the account id, e.g. "123456789012".`);
  }
}

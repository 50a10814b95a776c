import { Aws, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { RESTRICTED_CONTAINER_SECURITY_CONTEXT } from '../cluster/pod-security';
import { PodIdentityRole } from '../core/pod-identity-role';
import type { IPrivateRegistry } from '../registry/private-registry';
import { helmChartFrom, imageFrom } from '../registry/sources';
import { imageTagWithDigest, type ImageReference } from '../registry/upstream-registries';
import { vpcCidrOf } from '../network/vpc-addresses';
import { loadBalancerControllerNetworkPolicy } from './load-balancer-controller-network-policy';
import { loadBalancerControllerStatements } from './load-balancer-controller-policy';
import { AWS_LOAD_BALANCER_CONTROLLER_CHART_VERSION, AWS_LOAD_BALANCER_CONTROLLER_IMAGE, EKS_CHARTS_REPOSITORY } from './versions';

/** Properties of `AwsLoadBalancerController`. */
export interface AwsLoadBalancerControllerProps {
  /** The cluster (with a kubectl provider) to install the controller on. */
  readonly cluster: eks.ICluster;
  /** The cluster's VPC (the controller cannot ask IMDS: the nodes' hop limit is 1). */
  readonly vpc: ec2.IVpc;
  /**
   * Version of the aws-load-balancer-controller Helm chart to install.
   * @default AWS_LOAD_BALANCER_CONTROLLER_CHART_VERSION
   */
  readonly chartVersion?: string;
  /**
   * The controller image (upstream name, exact tag, optionally a digest).
   * @default AWS_LOAD_BALANCER_CONTROLLER_IMAGE
   */
  readonly image?: ImageReference;
  /**
   * Private registry the chart and the image come from (mirrored chart, pull through cache).
   * @default - the chart from the EKS charts repository, the image from ECR Public
   */
  readonly registry?: IPrivateRegistry;
}

/**
 * The AWS Load Balancer Controller v3 (the in-tree cloud-provider controller is deprecated),
 * installed from its pinned Helm chart (3.5.0, controller v3.5.0; docs/adr/0009) in kube-system
 * with two replicas spread over zones. Its AWS rights come through EKS Pod Identity (never the
 * node role): a role holding upstream's v3.5.0 least-privilege policy as a customer managed policy,
 * narrowed to this cluster's tagged resources, its VPC and its subnets (`loadBalancerControllerStatements`).
 *
 * The Service mutating webhook is off: a Service becomes an NLB only when it says so with
 * `service.beta.kubernetes.io/aws-load-balancer-type: external`, and a controller outage cannot
 * block Service creation cluster-wide. ALB Ingress is off too (no `alb` IngressClass, the
 * `kubernetes.io/ingress.class` annotation ignored): traffic from outside enters through the Istio
 * ingress gateway's NLB only; a cluster admin opts a class in by creating an IngressClass.
 *
 * The pod passes Pod Security "restricted" (the chart's default context drops no capabilities and
 * sets no seccomp profile, so both are set here), although kube-system is not labelled to enforce it.
 */
export class AwsLoadBalancerController extends Construct {
  /** Namespace the controller is installed in. */
  static readonly NAMESPACE = 'kube-system';
  /** Name of the controller's Kubernetes service account. */
  static readonly SERVICE_ACCOUNT = 'aws-load-balancer-controller';

  /** The Helm release; Services of type LoadBalancer should depend on it. */
  readonly chart: eks.HelmChart;
  /** The role the controller's service account assumes through Pod Identity. */
  readonly role: iam.IRole;
  /**
   * The controller's NetworkPolicy in kube-system: webhook calls in from the API server; out only
   * DNS, the Pod Identity agent and HTTPS to the API server and the VPC's endpoints. Applied before
   * the chart.
   */
  readonly networkPolicy: eks.KubernetesManifest;

  constructor(scope: Construct, id: string, props: AwsLoadBalancerControllerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const role = new PodIdentityRole(this, 'Role', {
      cluster: props.cluster,
      namespace: AwsLoadBalancerController.NAMESPACE,
      serviceAccounts: [AwsLoadBalancerController.SERVICE_ACCOUNT],
      description: 'AWS Load Balancer Controller (kube-system/aws-load-balancer-controller) through EKS Pod Identity',
    });
    // Where the controller places load balancers: the subnets tagged kubernetes.io/role/elb and internal-elb.
    const loadBalancerSubnets = [...props.vpc.publicSubnets, ...props.vpc.privateSubnets].map((subnet) => subnet.subnetId);
    new iam.ManagedPolicy(this, 'Policy', {
      description: 'Upstream least-privilege policy of the AWS Load Balancer Controller v3.5.0',
      // Pseudo parameters, not literals: the same policy text (and review) in every environment.
      // Narrowed to this cluster's tag, its VPC and the subnets its load balancers may use.
      statements: loadBalancerControllerStatements({
        partition: Aws.PARTITION,
        region: Aws.REGION,
        account: Aws.ACCOUNT_ID,
        clusterName: props.cluster.clusterName,
        vpcId: props.vpc.vpcId,
        loadBalancerSubnetIds: loadBalancerSubnets.length > 0 ? loadBalancerSubnets : undefined,
      }),
      roles: [role],
    });
    this.role = role;

    const association = role.associate(this, 'PodIdentity', AwsLoadBalancerController.SERVICE_ACCOUNT);

    const selectorLabels = { 'app.kubernetes.io/name': 'aws-load-balancer-controller' };
    const source = { chart: 'aws-load-balancer-controller', version: props.chartVersion ?? AWS_LOAD_BALANCER_CONTROLLER_CHART_VERSION, repository: EKS_CHARTS_REPOSITORY };
    const from = helmChartFrom(props.registry, source);
    const image = props.registry || props.image ? imageFrom(props.registry, props.image ?? AWS_LOAD_BALANCER_CONTROLLER_IMAGE) : undefined;
    this.chart = new eks.HelmChart(this, 'Chart', {
      cluster: props.cluster,
      ...from.location,
      release: 'aws-load-balancer-controller',
      namespace: AwsLoadBalancerController.NAMESPACE,
      createNamespace: false,
      wait: true,
      values: {
        clusterName: props.cluster.clusterName,
        region: stack.region,
        vpcId: props.vpc.vpcId,
        replicaCount: 2,
        // The name the Pod Identity association binds (the chart's default is its fullname).
        serviceAccount: { create: true, name: AwsLoadBalancerController.SERVICE_ACCOUNT },
        enableServiceMutatorWebhook: false,
        createIngressClassResource: false,
        disableIngressClassAnnotation: true,
        // No cluster-wide read of Secrets (upstream's default; pinned so a chart cannot flip it).
        clusterSecretsPermissions: { allowAllSecrets: false },
        // The webhooks' self-signed CA and certificate are generated anew on every Helm upgrade
        // (3.x's default; chart 1.x kept the first ones, valid ten years, for good).
        keepTLSSecret: false,
        podSecurityContext: { fsGroup: 65534, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        securityContext: RESTRICTED_CONTAINER_SECURITY_CONTEXT,
        podDisruptionBudget: { maxUnavailable: 1 },
        topologySpreadConstraints: [zoneSpread(selectorLabels)],
        // The chart writes `repository:tag`: a digest rides in the tag.
        ...(image ? { image: { repository: image.repository, tag: imageTagWithDigest(image) } } : {}),
      },
    });
    // The role must be bound before the controller's pods start and call AWS.
    this.chart.node.addDependency(association, ...from.dependencies);
    this.networkPolicy = new eks.KubernetesManifest(this, 'NetworkPolicy', {
      cluster: props.cluster,
      manifest: [loadBalancerControllerNetworkPolicy(AwsLoadBalancerController.NAMESPACE, selectorLabels, vpcCidrOf(props.vpc))],
    });
    this.chart.node.addDependency(this.networkPolicy);
  }
}

/** Spread over Availability Zones: at most one replica more in any zone, scheduling never blocked. */
export function zoneSpread(matchLabels: Record<string, string>): Record<string, unknown> {
  return {
    maxSkew: 1,
    topologyKey: 'topology.kubernetes.io/zone',
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels },
  };
}

// The cheapest layout that stays private (docs/aws-notes.md):
// - the gateway task in a PUBLIC subnet with a public IP, for outbound to IB, ghcr.io, ECR, CloudWatch
//   Logs and EventBridge, and no inbound rule from the internet;
// - the Lambda jobs in PRIVATE ISOLATED subnets (no route out), reaching AWS through VPC endpoints:
//   DynamoDB through a gateway endpoint (free), SNS, Secrets Manager and ECS through interface endpoints;
// - no NAT gateway (≈ $33/month plus data).
// `-c egress=ipv6` (EgressLayout below) replaces the three interface endpoints (≈ $22/month) with IPv6:
// the jobs' subnets get an Amazon-provided IPv6 range and a `::/0` route to an egress-only internet gateway
// (free, outbound only: nothing on the internet can open a connection in), and the jobs call the
// dual-stack public endpoints of SNS, Secrets Manager and ECS (lib/dual-stack.ts). DynamoDB keeps its
// gateway endpoint over IPv4. The public (gateway) subnets stay IPv4 only, so the gateway task, its public
// IPv4 (IB's servers answer on IPv4 only) and its network ACL are the same in both layouts.
// No EventBridge interface endpoint: only the bridge publishes events, from the public subnet; no job
// calls EventBridge (add `EVENTBRIDGE` below if one ever does). Lambda logs and Powertools metrics (EMF
// log lines) leave through the Lambda service, not the VPC, so no CloudWatch endpoints either.
import { Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { requireDualStackRegion } from './dual-stack';

/** The bridge's HTTP port: the only port of the gateway task anything may reach. */
export const BRIDGE_PORT = 8080;

/**
 * Ports of the gateway image that must never be reachable: IB's API (4001 live, 4002 paper), the image's
 * socat relays of them on 0.0.0.0 (4003 live, 4004 paper; IB sees every client through socat as
 * localhost, so its trusted-IP check is no protection) with 4000 for good measure, and VNC.
 */
export const IB_GATEWAY_PORTS = { from: 4000, to: 4004 } as const;
export const VNC_PORT = 5900;

/** How the Lambda jobs reach SNS, Secrets Manager and ECS (settings.ts `egress`). */
export type EgressLayout = 'endpoints' | 'ipv6';

/** The VPCs built with `egress: 'ipv6'`: JobFunction lets a function in one use IPv6 (job-function.ts). */
const dualStackVpcs = new WeakSet<ec2.IVpc>();

/** True when functions in this VPC reach AWS over IPv6 (the `ipv6` layout). */
export function isDualStackJobsVpc(vpc: ec2.IVpc | undefined): boolean {
  return vpc !== undefined && dualStackVpcs.has(vpc);
}

/** The interface endpoints of the `endpoints` layout: what each job service call goes through. */
const INTERFACE_ENDPOINTS: readonly [string, ec2.InterfaceVpcEndpointAwsService][] = [
  ['Sns', ec2.InterfaceVpcEndpointAwsService.SNS], // alerts
  ['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER], // the bridge secret
  ['Ecs', ec2.InterfaceVpcEndpointAwsService.ECS], // health-check restarts the gateway service
];

export interface NetworkProps {
  /** Default `endpoints`. */
  egress?: EgressLayout;
}

export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  readonly egress: EgressLayout;
  /** The `ipv6` layout's egress-only internet gateway; undefined in the `endpoints` layout. */
  readonly egressOnlyGateway: ec2.CfnEgressOnlyInternetGateway | undefined;
  /** The Lambda jobs. */
  readonly jobsSecurityGroup: ec2.SecurityGroup;
  /** The gateway task: ingress on BRIDGE_PORT from `jobsSecurityGroup` only. */
  readonly bridgeSecurityGroup: ec2.SecurityGroup;
  /** The public (gateway) subnets' network ACL: the IB ports and VNC denied whatever a security group says. */
  readonly gatewayAcl: ec2.NetworkAcl;

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);
    this.egress = props.egress ?? 'endpoints';
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.40.0.0/16'),
      // Two AZs so Lambda has a subnet in each; the single gateway task lives in one of them.
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'gateway', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'jobs', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    // Rejected flows only: what matters for security (someone knocking on the task), at a few cents, kept
    // a month like the other logs (CDK's default group would keep them two years).
    this.vpc.addFlowLog('RejectedFlows', {
      trafficType: ec2.FlowLogTrafficType.REJECT,
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        new logs.LogGroup(this, 'RejectedFlowsLogs', {
          retention: logs.RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      ),
    });
    this.vpc.addGatewayEndpoint('DynamoDb', {
      service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
      subnets: [{ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });

    this.jobsSecurityGroup = new ec2.SecurityGroup(this, 'JobsSecurityGroup', {
      vpc: this.vpc,
      description:
        this.egress === 'ipv6'
          ? 'Lambda jobs (the bridge, the DynamoDB endpoint, and AWS APIs over IPv6 through an egress-only gateway)'
          : 'Lambda jobs (isolated subnets: the bridge and the VPC endpoints are all they can reach)',
      allowAllOutbound: true,
      // IPv6 leaves only through the egress-only gateway, which admits replies and nothing else.
      allowAllIpv6Outbound: this.egress === 'ipv6',
    });
    this.bridgeSecurityGroup = new ec2.SecurityGroup(this, 'BridgeSecurityGroup', {
      vpc: this.vpc,
      description: 'Gateway task: the bridge port from the Lambda jobs only; IB API and VNC ports never open',
      // Outbound to IB's servers, the registries and the AWS APIs through the public IP.
      allowAllOutbound: true,
    });
    // The IB API (4001-4004) is unauthenticated raw TCP and stays inside the task: the bridge reaches it
    // on 127.0.0.1 (the containers share the task's network namespace). Only the signed bridge is open.
    this.bridgeSecurityGroup.addIngressRule(
      this.jobsSecurityGroup,
      ec2.Port.tcp(BRIDGE_PORT),
      'bridge HTTP API from the Lambda jobs',
    );

    // A second line behind the security group: should anyone ever open 4000-4004 or 5900 in a security
    // group (the image's socat relays listen on 0.0.0.0), the subnet still drops those packets. Stateless,
    // so everything else stays allowed both ways: the Lambdas' calls to the bridge port, and the replies to
    // the task's own outbound connections (IB, ghcr.io, ECR, AWS APIs), which arrive on Linux's ephemeral
    // ports 32768-60999, outside the denied ones. Security groups remain the allow-list.
    this.gatewayAcl = new ec2.NetworkAcl(this, 'GatewayAcl', {
      vpc: this.vpc,
      subnetSelection: { subnetType: ec2.SubnetType.PUBLIC },
    });
    const inbound = (id: string, ruleNumber: number, traffic: ec2.AclTraffic, action: ec2.Action) =>
      this.gatewayAcl.addEntry(id, {
        ruleNumber,
        cidr: ec2.AclCidr.anyIpv4(),
        traffic,
        direction: ec2.TrafficDirection.INGRESS,
        ruleAction: action,
      });
    inbound(
      'DenyIbApi',
      100,
      ec2.AclTraffic.tcpPortRange(IB_GATEWAY_PORTS.from, IB_GATEWAY_PORTS.to),
      ec2.Action.DENY,
    );
    inbound('DenyVnc', 110, ec2.AclTraffic.tcpPort(VNC_PORT), ec2.Action.DENY);
    inbound('AllowRest', 200, ec2.AclTraffic.allTraffic(), ec2.Action.ALLOW);
    this.gatewayAcl.addEntry('AllowOutbound', {
      ruleNumber: 100,
      cidr: ec2.AclCidr.anyIpv4(),
      traffic: ec2.AclTraffic.allTraffic(),
      direction: ec2.TrafficDirection.EGRESS,
      ruleAction: ec2.Action.ALLOW,
    });

    if (this.egress === 'ipv6') {
      this.egressOnlyGateway = this.routeJobsOverIpv6();
      return;
    }
    this.egressOnlyGateway = undefined;
    this.addInterfaceEndpoints();
  }

  /**
   * An Amazon-provided /56 for the VPC, a /64 of it for each jobs subnet, and `::/0` from those subnets to
   * an egress-only internet gateway. Lambda gives a function IPv6 only in dual-stack subnets and with
   * `Ipv6AllowedForDualStack` (JobFunction sets it for this VPC, with AWS_USE_DUALSTACK_ENDPOINT).
   */
  private routeJobsOverIpv6(): ec2.CfnEgressOnlyInternetGateway {
    requireDualStackRegion(this, Stack.of(this).region);
    dualStackVpcs.add(this.vpc);
    const ipv6Block = new ec2.CfnVPCCidrBlock(this, 'Ipv6Block', {
      vpcId: this.vpc.vpcId,
      amazonProvidedIpv6CidrBlock: true,
    });
    const subnetRanges = Fn.cidr(Fn.select(0, this.vpc.vpcIpv6CidrBlocks), 256, '64');
    const gateway = new ec2.CfnEgressOnlyInternetGateway(this, 'EgressOnlyGateway', {
      vpcId: this.vpc.vpcId,
    });
    this.vpc.isolatedSubnets.forEach((subnet, index) => {
      const cfnSubnet = subnet.node.defaultChild as ec2.CfnSubnet;
      cfnSubnet.ipv6CidrBlock = Fn.select(index, subnetRanges);
      cfnSubnet.addDependency(ipv6Block);
      new ec2.CfnRoute(this, `JobsIpv6Egress${index}`, {
        routeTableId: subnet.routeTable.routeTableId,
        destinationIpv6CidrBlock: '::/0',
        egressOnlyInternetGatewayId: gateway.ref,
      });
    });
    return gateway;
  }

  private addInterfaceEndpoints(): void {
    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Interface endpoints: HTTPS from the Lambda jobs only',
      allowAllOutbound: false,
    });
    endpointSecurityGroup.addIngressRule(
      this.jobsSecurityGroup,
      ec2.Port.tcp(443),
      'HTTPS from the Lambda jobs',
    );
    // An interface endpoint costs ≈ $7.30 a month per AZ: one AZ serves the jobs in both (a cross-AZ hop
    // of a few milliseconds); an AZ outage would cut the jobs off from SNS/Secrets Manager until it ends.
    const oneAz: ec2.SubnetSelection = { subnets: this.vpc.isolatedSubnets.slice(0, 1) };
    for (const [name, service] of INTERFACE_ENDPOINTS) {
      this.vpc.addInterfaceEndpoint(name, {
        service,
        subnets: oneAz,
        securityGroups: [endpointSecurityGroup],
        open: false,
        privateDnsEnabled: true,
      });
    }
  }
}

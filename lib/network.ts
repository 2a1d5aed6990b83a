// The cheapest layout that stays private (docs/aws-notes.md):
// - the gateway task in a PUBLIC subnet with a public IP, for outbound to IB, ghcr.io, ECR, CloudWatch
//   Logs and EventBridge, and no inbound rule from the internet;
// - the Lambda jobs in PRIVATE ISOLATED subnets (no route out), reaching AWS through VPC endpoints:
//   DynamoDB through a gateway endpoint (free), SNS, Secrets Manager and ECS through interface endpoints;
// - no NAT gateway (≈ $33/month plus data).
// No EventBridge interface endpoint: only the bridge publishes events, from the public subnet; no job
// calls EventBridge (add `EVENTBRIDGE` below if one ever does). Lambda logs and Powertools metrics (EMF
// log lines) leave through the Lambda service, not the VPC, so no CloudWatch endpoints either.
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The bridge's HTTP port: the only port of the gateway task anything may reach. */
export const BRIDGE_PORT = 8080;

/**
 * Ports of the gateway image that must never be reachable: IB's API (4001 live, 4002 paper), the image's
 * socat relays of them on 0.0.0.0 (4003 live, 4004 paper; IB sees every client through socat as
 * localhost, so its trusted-IP check is no protection) with 4000 for good measure, and VNC.
 */
export const IB_GATEWAY_PORTS = { from: 4000, to: 4004 } as const;
export const VNC_PORT = 5900;

export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /** The Lambda jobs. */
  readonly jobsSecurityGroup: ec2.SecurityGroup;
  /** The gateway task: ingress on BRIDGE_PORT from `jobsSecurityGroup` only. */
  readonly bridgeSecurityGroup: ec2.SecurityGroup;
  /** The public (gateway) subnets' network ACL: the IB ports and VNC denied whatever a security group says. */
  readonly gatewayAcl: ec2.NetworkAcl;

  constructor(scope: Construct, id: string) {
    super(scope, id);
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
      description: 'Lambda jobs (isolated subnets: the bridge and the VPC endpoints are all they can reach)',
      allowAllOutbound: true,
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
    const interfaceEndpoints: [string, ec2.InterfaceVpcEndpointAwsService][] = [
      ['Sns', ec2.InterfaceVpcEndpointAwsService.SNS], // alerts
      ['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER], // the bridge secret
      ['Ecs', ec2.InterfaceVpcEndpointAwsService.ECS], // health-check restarts the gateway service
    ];
    for (const [name, service] of interfaceEndpoints) {
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

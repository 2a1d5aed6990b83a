// Every deploy layout the cheaper-layout context flags make: each combination synthesized once, as
// `cdk synth` does it (cdk-nag on, nothing bundled), and checked for what must never change with a flag:
// nothing open from the internet, the IB API and VNC ports closed, no NAT gateway, and every job still
// able to reach each AWS service it uses, by IAM and by a network path, so a flag cannot silently cut the
// alerts (or the bridge secret, or the gateway restarts) off.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Template } from 'aws-cdk-lib/assertions';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { JobName } from '#core/config';
import { dynamoDbClient } from '#jobs/shared/context';
import { createApp, projectContext } from '#lib/app';
import { DUAL_STACK_SERVICES, dualStackGaps, IPV6_EGRESS_REGIONS } from '#lib/dual-stack';
import type { OptionsIncomeStack } from '#lib/options-income-stack';
import {
  buildTestApp,
  FIXTURE_ENTRY,
  logicalId,
  referencedId,
  removeTestOutputs,
  resourcesOfType,
} from './support';

afterAll(removeTestOutputs);

/** Each flag's value other than its default, one line per flag: every subset of these is a layout. */
const FLAG_ALTERNATIVES: Record<string, string>[] = [
  { egress: 'ipv6' },
  { gatewayArch: 'x86_64' },
  { gatewayHours: 'market' },
];

function layouts(): { name: string; context: Record<string, string> }[] {
  let combos: Record<string, string>[] = [{}];
  for (const alternative of FLAG_ALTERNATIVES)
    combos = combos.flatMap((combo) => [combo, { ...combo, ...alternative }]);
  return combos.map((context) => ({
    name:
      Object.entries(context)
        .map(([key, value]) => `${key}=${value}`)
        .join(' ') || 'defaults',
    context,
  }));
}

interface Layout {
  stack: OptionsIncomeStack;
  template: Template;
  outdir: string;
  nag: { conclusion: string; violations: unknown[] } | undefined;
}

const LAYOUTS = layouts();
const built = new Map<string, Layout>();

beforeAll(() => {
  for (const { name, context } of LAYOUTS) {
    const { app, stack, outdir } = buildTestApp({ nag: true, context });
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; conclusion: string; violations: unknown[] }[];
    };
    built.set(name, {
      stack,
      template: Template.fromJSON(assembly.getStackByName(stack.stackName).template as object),
      outdir,
      nag: report.pluginReports.find((r) => r.pluginName === 'AwsSolutions'),
    });
  }
}, 600_000);

type Props = Record<string, unknown>;
const props = (template: Template, type: string) =>
  Object.entries(resourcesOfType(template, type)).map(([id, r]) => ({ id, p: r.Properties ?? {} }));
const asList = (value: unknown): unknown[] => ([] as unknown[]).concat(value ?? []);

/** Every ingress rule, inline or standalone. */
function ingressRules(template: Template) {
  const inline = props(template, 'AWS::EC2::SecurityGroup').flatMap(({ id, p }) =>
    asList(p.SecurityGroupIngress).map((rule) => ({ group: id, ...(rule as Props) })),
  );
  const standalone = props(template, 'AWS::EC2::SecurityGroupIngress').map(({ p }) => ({
    group: referencedId(p.GroupId)!,
    ...p,
  }));
  return [...inline, ...standalone] as (Props & { group: string })[];
}

/** Every egress rule of one security group, inline or standalone. */
function egressRules(template: Template, groupId: string): Props[] {
  const group = resourcesOfType(template, 'AWS::EC2::SecurityGroup')[groupId]!.Properties ?? {};
  const standalone = props(template, 'AWS::EC2::SecurityGroupEgress')
    .filter(({ p }) => referencedId(p.GroupId) === groupId)
    .map(({ p }) => p);
  return [...(asList(group.SecurityGroupEgress) as Props[]), ...standalone];
}

const coversPort = (rule: Props, port: number) =>
  rule.IpProtocol === '-1' ||
  ((rule.FromPort as number) <= port && port <= (rule.ToPort as number) && rule.IpProtocol === 'tcp');

/** The services each job's code calls (jobs-table.ts flags) besides the bridge. */
function servicesOf(
  stack: OptionsIncomeStack,
  name: JobName,
): Set<'sns' | 'secretsmanager' | 'ecs' | 'dynamodb'> {
  const { spec } = stack.jobs.deployed.get(name)!;
  const services = new Set<'sns' | 'secretsmanager' | 'ecs' | 'dynamodb'>(['sns', 'dynamodb']);
  if (spec.usesBridge || spec.placesOrders) services.add('secretsmanager');
  if (spec.managesGateway) services.add('ecs');
  return services;
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

function allows(
  template: Template,
  stack: OptionsIncomeStack,
  name: JobName,
  action: string,
  resourceId: string,
) {
  const roleId = logicalId(stack.jobs.deployed.get(name)!.fn.role!);
  return props(template, 'AWS::IAM::Policy')
    .filter(({ p }) => asList(p.Roles).some((role) => referencedId(role) === roleId))
    .flatMap(({ p }) => (p.PolicyDocument as { Statement: Statement[] }).Statement)
    .some(
      (s) =>
        s.Effect === 'Allow' &&
        asList(s.Action).includes(action) &&
        asList(s.Resource).some((r) => referencedId(r) === resourceId),
    );
}

describe('the layouts', () => {
  it('are every combination of the flags', () => {
    expect(LAYOUTS.map((l) => l.name)).toEqual([
      'defaults',
      'gatewayHours=market',
      'gatewayArch=x86_64',
      'gatewayArch=x86_64 gatewayHours=market',
      'egress=ipv6',
      'egress=ipv6 gatewayHours=market',
      'egress=ipv6 gatewayArch=x86_64',
      'egress=ipv6 gatewayArch=x86_64 gatewayHours=market',
    ]);
  });
});

describe.each(LAYOUTS.map((l) => l.name))('%s', (name) => {
  const layout = () => built.get(name)!;
  const isIpv6 = name.includes('egress=ipv6');

  it('synthesizes with cdk-nag and no unacknowledged finding', () => {
    expect(layout().nag?.conclusion).toBe('success');
    expect(layout().nag?.violations).toEqual([]);
  });

  it('opens nothing to the internet, never the IB API ports or VNC, and the bridge port to the jobs only', () => {
    const { template, stack } = layout();
    const rules = ingressRules(template);
    for (const rule of rules) {
      expect(rule.CidrIp, rule.group).not.toBe('0.0.0.0/0');
      expect(rule.CidrIpv6, rule.group).not.toBe('::/0');
      for (const port of [4000, 4001, 4002, 4003, 4004, 5900])
        expect(coversPort(rule, port), `${rule.group} → ${port}`).toBe(false);
    }
    const bridgeSg = logicalId(stack.network.bridgeSecurityGroup);
    expect(
      rules
        .filter((r) => r.group === bridgeSg)
        .map((r) => [r.FromPort, referencedId(r.SourceSecurityGroupId)]),
    ).toEqual([[8080, logicalId(stack.network.jobsSecurityGroup)]]);
    // The public subnets' ACL still denies the IB ports and VNC before anything is allowed.
    const inbound = props(template, 'AWS::EC2::NetworkAclEntry')
      .map(({ p }) => p)
      .filter((p) => !p.Egress)
      .sort((a, b) => (a.RuleNumber as number) - (b.RuleNumber as number));
    for (const port of [4000, 4001, 4002, 4003, 4004, 5900]) {
      const first = inbound.find((entry) => {
        const range = entry.PortRange as { From: number; To: number } | undefined;
        return entry.Protocol === -1 || (range !== undefined && range.From <= port && port <= range.To);
      });
      expect(first?.RuleAction, String(port)).toBe('deny');
    }
  });

  it('has no NAT gateway, no internet route into the jobs subnets but IPv6 egress-only, and a public-IPv4 gateway task', () => {
    const { template, stack } = layout();
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    const jobsRouteTables = stack.network.vpc.isolatedSubnets.map((subnet) =>
      referencedId(stack.resolve(subnet.routeTable.routeTableId))!,
    );
    for (const { p } of props(template, 'AWS::EC2::Route')) {
      if (jobsRouteTables.includes(referencedId(p.RouteTableId)!)) {
        // Only the ipv6 layout routes anything out of the jobs subnets, and only to the egress-only gateway.
        expect(isIpv6).toBe(true);
        expect(p.DestinationIpv6CidrBlock).toBe('::/0');
        expect(p.DestinationCidrBlock).toBeUndefined();
        expect(p.GatewayId).toBeUndefined();
        expect(referencedId(p.EgressOnlyInternetGatewayId)).toBe(logicalId(stack.network.egressOnlyGateway!));
      } else {
        // The public subnets: IPv4 to the internet gateway only.
        expect(p.DestinationCidrBlock).toBe('0.0.0.0/0');
        expect(p.DestinationIpv6CidrBlock).toBeUndefined();
      }
    }
    // The public subnets stay IPv4 only; the gateway task keeps its public IPv4 for IB's servers.
    for (const subnet of stack.network.vpc.publicSubnets) {
      const subnetProps = resourcesOfType(template, 'AWS::EC2::Subnet')[logicalId(subnet)]!.Properties!;
      expect(subnetProps.Ipv6CidrBlock).toBeUndefined();
    }
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'ENABLED' } },
    });
    template.resourceCountIs('AWS::EC2::EgressOnlyInternetGateway', isIpv6 ? 1 : 0);
  });

  it('lets each job reach every service it uses: IAM allows the calls', () => {
    const { template, stack } = layout();
    const { gateway, alerts, storage } = stack;
    for (const name of stack.jobs.deployed.keys()) {
      const { spec } = stack.jobs.deployed.get(name)!;
      expect(allows(template, stack, name, 'sns:Publish', logicalId(alerts.topic)), name).toBe(true);
      expect(allows(template, stack, name, 'dynamodb:Scan', logicalId(storage.tables.config)), name).toBe(
        true,
      );
      if (spec.usesBridge)
        expect(
          allows(template, stack, name, 'secretsmanager:GetSecretValue', logicalId(gateway.bridgeSecret)),
          name,
        ).toBe(true);
      if (spec.placesOrders)
        expect(
          allows(
            template,
            stack,
            name,
            'secretsmanager:GetSecretValue',
            logicalId(gateway.bridgeOrderSecret),
          ),
          name,
        ).toBe(true);
      for (const action of ['ecs:DescribeServices', 'ecs:UpdateService'])
        expect(allows(template, stack, name, action, logicalId(gateway.service)), `${name} ${action}`).toBe(
          Boolean(spec.managesGateway),
        );
    }
    // The jobs that restart the gateway exist in every layout.
    expect([...stack.jobs.deployed.values()].some(({ spec }) => spec.managesGateway)).toBe(true);
  });

  it('lets each job reach every service it uses: a network path from its subnets', () => {
    const { template, stack } = layout();
    const jobsSg = logicalId(stack.network.jobsSecurityGroup);
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    const subnets = resourcesOfType(template, 'AWS::EC2::Subnet');
    const routes = props(template, 'AWS::EC2::Route').map(({ p }) => p);
    const endpoints = props(template, 'AWS::EC2::VPCEndpoint').map(({ p }) => p);
    const serviceOf = (endpoint: Props) => JSON.stringify(endpoint.ServiceName);
    const interfaces = endpoints.filter((e) => e.VpcEndpointType === 'Interface');
    const dynamo = endpoints.find(
      (e) => (e.VpcEndpointType ?? 'Gateway') === 'Gateway' && serviceOf(e).includes('.dynamodb'),
    );
    const egress = egressRules(template, jobsSg);

    for (const name of stack.jobs.deployed.keys()) {
      const fn = functions[logicalId(stack.jobs.deployed.get(name)!.fn)]!.Properties!;
      const vpc = fn.VpcConfig as {
        SubnetIds: unknown[];
        SecurityGroupIds: unknown[];
        Ipv6AllowedForDualStack?: boolean;
      };
      const env = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(vpc.SecurityGroupIds.map(referencedId), name).toEqual([jobsSg]);
      const fnSubnets = vpc.SubnetIds.map((s) => referencedId(s)!);
      const fnRouteTables = stack.network.vpc.isolatedSubnets
        .filter((subnet) => fnSubnets.includes(logicalId(subnet)))
        .map((subnet) => referencedId(stack.resolve(subnet.routeTable.routeTableId))!);
      expect(fnRouteTables.length, name).toBe(fnSubnets.length);

      // DynamoDB: the gateway endpoint on every route table the function's subnets use, in both layouts.
      expect(asList(dynamo?.RouteTableIds).map(referencedId), name).toEqual(
        expect.arrayContaining(fnRouteTables),
      );

      const services = servicesOf(stack, name);
      if (isIpv6) {
        expect(vpc.Ipv6AllowedForDualStack, name).toBe(true);
        expect(env.AWS_USE_DUALSTACK_ENDPOINT, name).toBe('true');
        for (const subnet of fnSubnets)
          expect(subnets[subnet]!.Properties!.Ipv6CidrBlock, subnet).toBeDefined();
        for (const table of fnRouteTables)
          expect(
            routes.some(
              (r) =>
                referencedId(r.RouteTableId) === table &&
                r.DestinationIpv6CidrBlock === '::/0' &&
                referencedId(r.EgressOnlyInternetGatewayId) === logicalId(stack.network.egressOnlyGateway!),
            ),
            `${name} ${table}`,
          ).toBe(true);
        expect(
          egress.some((rule) => rule.CidrIpv6 === '::/0' && coversPort(rule, 443)),
          `${name}: IPv6 443 out of the jobs security group`,
        ).toBe(true);
      } else {
        expect(vpc.Ipv6AllowedForDualStack, name).toBeUndefined();
        expect(env.AWS_USE_DUALSTACK_ENDPOINT, name).toBeUndefined();
        expect(
          egress.some((rule) => rule.CidrIp === '0.0.0.0/0' && coversPort(rule, 443)),
          name,
        ).toBe(true);
        for (const service of services) {
          if (service === 'dynamodb') continue;
          const endpoint = interfaces.find((e) => serviceOf(e).includes(`.${service}"`));
          expect(endpoint, `${name} → ${service}`).toBeDefined();
          expect(endpoint!.PrivateDnsEnabled, service).toBe(true);
          // Its security group admits HTTPS from the jobs.
          const endpointSgs = asList(endpoint!.SecurityGroupIds).map((sg) => referencedId(sg));
          expect(
            ingressRules(template).some(
              (rule) =>
                endpointSgs.includes(rule.group) &&
                referencedId(rule.SourceSecurityGroupId) === jobsSg &&
                coversPort(rule, 443),
            ),
            `${name} → ${service} on 443`,
          ).toBe(true);
        }
      }
    }
    // The interface endpoints exist in the endpoints layout only.
    expect(interfaces).toHaveLength(isIpv6 ? 0 : 3);
  });

  it('runs the gateway task and builds the bridge image on one architecture', () => {
    const { template, outdir, stack } = layout();
    const arch = name.includes('gatewayArch=x86_64') ? 'x86_64' : 'arm64';
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: {
        CpuArchitecture: arch === 'arm64' ? 'ARM64' : 'X86_64',
        OperatingSystemFamily: 'LINUX',
      },
    });
    const assets = JSON.parse(readFileSync(join(outdir, `${stack.artifactId}.assets.json`), 'utf8')) as {
      dockerImages: Record<string, { source: { platform?: string } }>;
    };
    const images = Object.values(assets.dockerImages);
    expect(images).toHaveLength(1);
    expect(images[0]!.source.platform).toBe(arch === 'arm64' ? 'linux/arm64' : 'linux/amd64');
  });
});

describe('egress=ipv6 and the region', () => {
  const build = (context: Record<string, unknown>, region?: string) =>
    createApp({
      context: { ...projectContext(), 'aws:cdk:bundling-stacks': [], ...context },
      stack: { entryOverride: FIXTURE_ENTRY, ...(region ? { env: { region } } : {}) },
    });

  it('refuses an unknown egress or gatewayArch value, naming the setting', () => {
    expect(() => build({ egress: 'nat' })).toThrow(/egress must be 'endpoints' or 'ipv6'/);
    expect(() => build({ gatewayArch: 'arm' })).toThrow(/gatewayArch must be 'x86_64' or 'arm64'/);
  });

  it('refuses, at synth, a region where a service has no dual-stack endpoint, naming the service', () => {
    expect(() => build({ egress: 'ipv6' }, 'eu-west-1')).toThrow(
      /egress=ipv6 cannot work in eu-west-1[\s\S]*ecs \(health-check/,
    );
    expect(dualStackGaps('ap-south-1')).toEqual([
      expect.stringMatching(/^sns \(alerts/),
      expect.stringMatching(/^ecs \(health-check/),
    ]);
    // The default layout needs no dual-stack endpoint anywhere.
    expect(() => build({}, 'eu-west-1')).not.toThrow();
    expect(() => build({ egress: 'ipv6' }, 'us-east-1')).not.toThrow();
  }, 120_000);

  it('an environment-agnostic stack carries a CloudFormation rule that refuses the deploy elsewhere', () => {
    const rules =
      (built.get('egress=ipv6')!.template.toJSON() as { Rules?: Record<string, unknown> }).Rules ?? {};
    const rule = Object.entries(rules).find(([id]) => id.includes('DualStackRegion'));
    expect(rule).toBeDefined();
    expect(JSON.stringify(rule![1])).toContain(
      JSON.stringify({ 'Fn::Contains': [[...IPV6_EGRESS_REGIONS], { Ref: 'AWS::Region' }] }),
    );
    expect(IPV6_EGRESS_REGIONS).toContain('us-east-1');
    const defaults =
      (built.get('defaults')!.template.toJSON() as { Rules?: Record<string, unknown> }).Rules ?? {};
    expect(Object.keys(defaults).some((id) => id.includes('DualStackRegion'))).toBe(false);
  });
});

describe('the SDK clients in the ipv6 layout (AWS_USE_DUALSTACK_ENDPOINT=true, as JobFunction sets it)', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  /** The host a command would be sent to, captured after endpoint resolution and before signing. */
  async function hostOf(
    client: { send: (command: never) => Promise<unknown>; middlewareStack: unknown },
    command: unknown,
  ) {
    const stack = client.middlewareStack as {
      add: (mw: unknown, options: { step: string; name: string }) => void;
    };
    stack.add(
      () => (args: { request: { hostname: string } }) =>
        Promise.reject(new HostCaptured(args.request.hostname)),
      { step: 'build', name: 'captureHost' },
    );
    const error = await client.send(command as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HostCaptured);
    return (error as HostCaptured).host;
  }
  class HostCaptured extends Error {
    constructor(readonly host: string) {
      super(host);
    }
  }
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' };

  it('call SNS, Secrets Manager and ECS at their documented dual-stack endpoints, DynamoDB at its IPv4 one (gateway endpoint)', async () => {
    vi.stubEnv('AWS_USE_DUALSTACK_ENDPOINT', 'true');
    vi.stubEnv('AWS_REGION', 'us-east-1');
    const expected = (service: keyof typeof DUAL_STACK_SERVICES) =>
      DUAL_STACK_SERVICES[service].endpoint.replace('<region>', 'us-east-1');
    expect(
      await hostOf(
        new SNSClient({ credentials }),
        new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:1:t', Message: 'm' }),
      ),
    ).toBe(expected('sns'));
    expect(
      await hostOf(new SecretsManagerClient({ credentials }), new GetSecretValueCommand({ SecretId: 's' })),
    ).toBe(expected('secretsmanager'));
    expect(
      await hostOf(new ECSClient({ credentials }), new DescribeServicesCommand({ services: ['s'] })),
    ).toBe(expected('ecs'));
    // The jobs' own DynamoDB client: IPv4, so the gateway endpoint's prefix-list route carries it.
    const dynamo = dynamoDbClient({ AWS_REGION: 'us-east-1' });
    (dynamo.config as { credentials: unknown }).credentials = () => Promise.resolve(credentials);
    expect(await hostOf(dynamo, new GetItemCommand({ TableName: 't', Key: {} }))).toBe(
      'dynamodb.us-east-1.amazonaws.com',
    );
  });
});

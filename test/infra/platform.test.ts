// Network, gateway service, storage, alerts and alarms of the stack as deployed (paper mode, defaults).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import type { Template } from 'aws-cdk-lib/assertions';
import { createTableInputs, TABLE_IDS, TABLES, tableOutputName } from '#adapters/dynamo/tables';
import { publishInput } from '#adapters/sns-alerter';
import { makeAlert } from '#core/alerts';
import { riskSchema } from '#core/config';
import { withinDailyWindow } from '#bridge/reconnect';
import { containerHealthProbe } from '#bridge/contract';
import { EnvSchema as BridgeEnvSchema } from '#bridge/main';
import type { AlertSeverity } from '#core/types';
import { bridgeBaseImages, ibGatewayImage } from '#lib/gateway-images';
import type { OptionsIncomeStack } from '#lib/options-income-stack';
import { repoPath } from '#lib/paths';
import {
  logicalId,
  referencedId,
  resourcesOfType,
  synthTemplate,
  TEST_EMAIL,
  TEST_PHONE,
  removeTestOutputs,
} from './support';
import type { Resources } from './support';

afterAll(removeTestOutputs);

let stack: OptionsIncomeStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthTemplate());
});

type Container = Record<string, unknown> & {
  Name: string;
  Environment?: { Name: string; Value: unknown }[];
  Secrets?: { Name: string; ValueFrom: unknown }[];
  PortMappings?: { ContainerPort: number }[];
};

function containers(): Container[] {
  const taskDefinitions = Object.values(resourcesOfType(template, 'AWS::ECS::TaskDefinition'));
  expect(taskDefinitions).toHaveLength(1);
  return taskDefinitions[0]!.Properties!.ContainerDefinitions as Container[];
}

const container = (name: string) => containers().find((c) => c.Name === name)!;
const env = (c: Container) => Object.fromEntries((c.Environment ?? []).map((e) => [e.Name, e.Value]));

/** Every ingress rule of the template, inline or standalone, as { group, from, to, source }. */
function ingressRules() {
  const rules: { group: string; from: number; to: number; source: string | undefined; cidr: unknown }[] = [];
  for (const [id, sg] of Object.entries(resourcesOfType(template, 'AWS::EC2::SecurityGroup'))) {
    for (const rule of (sg.Properties?.SecurityGroupIngress as Record<string, unknown>[] | undefined) ?? []) {
      rules.push({
        group: id,
        from: rule.FromPort as number,
        to: rule.ToPort as number,
        source: referencedId(rule.SourceSecurityGroupId),
        cidr: rule.CidrIp ?? rule.CidrIpv6,
      });
    }
  }
  for (const rule of Object.values(resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress'))) {
    const p = rule.Properties!;
    rules.push({
      group: referencedId(p.GroupId)!,
      from: p.FromPort as number,
      to: p.ToPort as number,
      source: referencedId(p.SourceSecurityGroupId),
      cidr: p.CidrIp ?? p.CidrIpv6,
    });
  }
  return rules;
}

describe('network', () => {
  it('has no NAT gateway, and only the public subnets route to the internet', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    const routes = Object.values(resourcesOfType(template, 'AWS::EC2::Route'));
    expect(routes).toHaveLength(2);
    for (const route of routes) {
      expect(route.Properties?.DestinationCidrBlock).toBe('0.0.0.0/0');
      expect(referencedId(route.Properties?.GatewayId)).toMatch(/IGW/);
      expect(route.Properties?.NatGatewayId).toBeUndefined();
    }
    const isolatedRouteTables = stack.network.vpc.isolatedSubnets.map((subnet) =>
      referencedId(stack.resolve(subnet.routeTable.routeTableId))!,
    );
    expect(isolatedRouteTables).toHaveLength(2);
    for (const route of routes)
      expect(isolatedRouteTables).not.toContain(referencedId(route.Properties?.RouteTableId));
  });

  it('has a DynamoDB gateway endpoint and interface endpoints for SNS, Secrets Manager and ECS', () => {
    const endpoints = Object.values(resourcesOfType(template, 'AWS::EC2::VPCEndpoint')).map((e) => ({
      type: e.Properties?.VpcEndpointType ?? 'Gateway',
      service: JSON.stringify(e.Properties?.ServiceName),
    }));
    expect(endpoints.filter((e) => e.type === 'Gateway').map((e) => e.service)).toEqual([
      expect.stringContaining('dynamodb'),
    ]);
    const interfaces = endpoints.filter((e) => e.type === 'Interface').map((e) => e.service);
    for (const service of ['.sns', '.secretsmanager', '.ecs']) {
      expect(
        interfaces.some((s) => s.includes(service)),
        service,
      ).toBe(true);
    }
    expect(interfaces).toHaveLength(3);
  });

  it('opens the bridge port to the Lambda security group and nothing else to the gateway task', () => {
    const bridgeSg = logicalId(stack.network.bridgeSecurityGroup);
    const jobsSg = logicalId(stack.network.jobsSecurityGroup);
    const bridgeRules = ingressRules().filter((rule) => rule.group === bridgeSg);
    expect(bridgeRules).toEqual([{ group: bridgeSg, from: 8080, to: 8080, source: jobsSg, cidr: undefined }]);
    // The service runs in that group and nothing else.
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: {
        AwsvpcConfiguration: { SecurityGroups: [{ 'Fn::GetAtt': [bridgeSg, 'GroupId'] }] },
      },
    });
  });

  it('never opens the IB API ports (4001-4004) or VNC (5900), and nothing to the internet', () => {
    for (const rule of ingressRules()) {
      for (const port of [4001, 4002, 4003, 4004, 5900]) {
        expect(port >= rule.from && port <= rule.to, `${rule.group} ${rule.from}-${rule.to}`).toBe(false);
      }
      expect(rule.cidr).not.toBe('0.0.0.0/0');
      expect(rule.cidr).not.toBe('::/0');
    }
    for (const c of containers()) {
      for (const mapping of c.PortMappings ?? []) expect(mapping.ContainerPort).toBe(8080);
    }
    expect(container('ib-gateway').PortMappings ?? []).toEqual([]);
  });
  /** The public subnets' network ACL entries in one direction, evaluated as AWS does: lowest rule first. */
  function aclVerdict(egress: boolean, port: number, from: string): 'allow' | 'deny' {
    const entries = Object.values(resourcesOfType(template, 'AWS::EC2::NetworkAclEntry'))
      .map((entry) => entry.Properties as Record<string, unknown>)
      .filter((entry) => Boolean(entry.Egress) === egress)
      .sort((a, b) => (a.RuleNumber as number) - (b.RuleNumber as number));
    const inCidr = (ip: string, cidr: string) => {
      const [base, bits] = cidr.split('/') as [string, string];
      const toInt = (a: string) => a.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
      const size = 2 ** (32 - Number(bits));
      return Math.floor(toInt(ip) / size) === Math.floor(toInt(base) / size);
    };
    for (const entry of entries) {
      const range = entry.PortRange as { From: number; To: number } | undefined;
      const tcp = entry.Protocol === 6 || entry.Protocol === -1;
      const portMatches =
        entry.Protocol === -1 || (range !== undefined && port >= range.From && port <= range.To);
      if (tcp && portMatches && inCidr(from, entry.CidrBlock as string))
        return entry.RuleAction === 'deny' ? 'deny' : 'allow';
    }
    return 'deny';
  }

  it("denies the IB API ports (4000-4004) and VNC (5900) from anywhere at the gateway's subnets", () => {
    const acls = Object.entries(resourcesOfType(template, 'AWS::EC2::SubnetNetworkAclAssociation')).map(
      ([, association]) => ({
        subnet: referencedId(association.Properties?.SubnetId),
        acl: referencedId(association.Properties?.NetworkAclId),
      }),
    );
    const publicSubnets = stack.network.vpc.publicSubnets.map((subnet) => logicalId(subnet)).sort();
    expect(acls.map((a) => a.subnet).sort()).toEqual(publicSubnets);
    expect(new Set(acls.map((a) => a.acl)).size).toBe(1);
    for (const from of ['203.0.113.7', '10.40.3.20'])
      for (const port of [4000, 4001, 4002, 4003, 4004, 5900])
        expect(aclVerdict(false, port, from), `${from} → ${port}`).toBe('deny');
    // What the task needs: the Lambdas' bridge calls, and the replies to its own outbound connections (IB,
    // registries, AWS APIs) on Linux's ephemeral ports.
    expect(aclVerdict(false, 8080, '10.40.3.20')).toBe('allow');
    for (const port of [32768, 45000, 60999]) expect(aclVerdict(false, port, '203.0.113.7')).toBe('allow');
    for (const port of [443, 4001, 4000]) expect(aclVerdict(true, port, '203.0.113.7')).toBe('allow');
  });
});

describe('gateway service', () => {
  it('runs exactly one task: desiredCount 1, min 0 %, max 100 %, circuit breaker with rollback', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 1,
      LaunchType: 'FARGATE',
      DeploymentConfiguration: {
        MinimumHealthyPercent: 0,
        MaximumPercent: 100,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      },
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'ENABLED' } },
    });
  });

  it('runs in the public subnets', () => {
    const service = Object.values(resourcesOfType(template, 'AWS::ECS::Service'))[0]!;
    const subnets = (
      service.Properties?.NetworkConfiguration as { AwsvpcConfiguration: { Subnets: unknown[] } }
    ).AwsvpcConfiguration.Subnets.map(referencedId);
    expect(subnets.sort()).toEqual(stack.network.vpc.publicSubnets.map((s) => logicalId(s)).sort());
  });

  it('registers an A record with a short TTL in a private namespace', () => {
    template.hasResourceProperties('AWS::ServiceDiscovery::Service', {
      DnsConfig: { DnsRecords: [{ Type: 'A', TTL: Match.anyValue() }] },
    });
    const service = Object.values(resourcesOfType(template, 'AWS::ServiceDiscovery::Service'))[0]!;
    const ttl = (service.Properties?.DnsConfig as { DnsRecords: { TTL: number }[] }).DnsRecords[0]!.TTL;
    expect(ttl).toBeLessThanOrEqual(60);
    template.resourceCountIs('AWS::ServiceDiscovery::PrivateDnsNamespace', 1);
  });

  it('is an arm64 (Graviton) Fargate task with 2 GB and two essential containers', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      Cpu: '512',
      Memory: '2048',
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
    expect(containers().map((c) => [c.Name, c.Essential])).toEqual([
      ['ib-gateway', true],
      ['bridge', true],
    ]);
  });

  it('runs the IB Gateway image at the tag pinned in Dockerfile.gateway', () => {
    const tag = /^ARG IB_GATEWAY_TAG=(.+)$/m.exec(
      readFileSync(repoPath('gateway-container/Dockerfile.gateway'), 'utf8'),
    )?.[1];
    expect(tag).toMatch(/^\d+\.\d+/);
    expect(container('ib-gateway').Image).toBe(`ghcr.io/gnzsnz/ib-gateway:${tag}`);
  });

  it('configures the gateway in paper mode with restart and 2FA settings, credentials from Secrets Manager', () => {
    const gateway = container('ib-gateway');
    expect(env(gateway)).toMatchObject({
      TRADING_MODE: 'paper',
      AUTO_RESTART_TIME: expect.stringMatching(/^\d{1,2}:\d{2} (AM|PM)$/),
      TWOFA_TIMEOUT_ACTION: 'restart',
      RELOGIN_AFTER_TWOFA_TIMEOUT: 'yes',
      JAVA_HEAP_SIZE: expect.stringMatching(/^\d+$/),
      TIME_ZONE: 'America/New_York',
    });
    const secretId = logicalId(stack.gateway.ibCredentials);
    const secrets = Object.fromEntries(
      (gateway.Secrets ?? []).map((s) => [s.Name, JSON.stringify(s.ValueFrom)]),
    );
    expect(Object.keys(secrets).sort()).toEqual(['TWS_PASSWORD', 'TWS_USERID']);
    expect(secrets.TWS_USERID).toContain(secretId);
    expect(secrets.TWS_USERID).toContain(':username::');
    expect(secrets.TWS_PASSWORD).toContain(':password::');
    // No credential in plain environment.
    expect(Object.keys(env(gateway)).filter((name) => /PASSWORD|USERID/.test(name))).toEqual([]);
  });

  it("treats IBC's daily restart and IB's whole nightly reset (about 00:15–01:45 ET) as expected downtime", () => {
    // Inside the window the health-check job counts no failure and never restarts the gateway.
    const [start, end] = String(env(container('bridge')).IB_RESTART_WINDOW).split('-');
    const window = { start: start!, end: end!, timeZone: 'America/New_York' };
    const restart = /^(\d{1,2}):(\d{2}) (AM|PM)$/.exec(
      String(env(container('ib-gateway')).AUTO_RESTART_TIME),
    )!;
    const restartHour = (Number(restart[1]) % 12) + (restart[3] === 'PM' ? 12 : 0);
    // 2026-11-24 is EST (UTC−5): New York h:mm is UTC h+5.
    const at = (h: number, m: number) => Date.UTC(2026, 10, 24, h + 5, m);
    expect(withinDailyWindow(at(restartHour, Number(restart[2])), window)).toBe(true);
    for (const [h, m] of [
      [0, 15],
      [1, 0],
      [1, 45],
    ] as const)
      expect(withinDailyWindow(at(h, m), window)).toBe(true);
    expect(withinDailyWindow(at(9, 30), window)).toBe(false);
  });

  it('points the bridge at the paper API port on localhost, with its secret and the event bus', () => {
    const bridge = container('bridge');
    expect(env(bridge)).toMatchObject({
      IB_HOST: '127.0.0.1',
      IB_PORT: '4002',
      IB_CLIENT_ID: expect.stringMatching(/^\d+$/),
      BRIDGE_PORT: '8080',
      EVENT_BUS_NAME: { Ref: logicalId(stack.bridgeEvents.bus) },
    });
    // Four secrets, whole SecretStrings: the read secret and the order secret, each with its previous one
    // (accepted during a rotation).
    expect(bridge.Secrets).toEqual([
      { Name: 'BRIDGE_SECRET', ValueFrom: { Ref: logicalId(stack.gateway.bridgeSecret) } },
      { Name: 'BRIDGE_SECRET_PREVIOUS', ValueFrom: { Ref: logicalId(stack.gateway.bridgeSecretPrevious) } },
      { Name: 'BRIDGE_ORDER_SECRET', ValueFrom: { Ref: logicalId(stack.gateway.bridgeOrderSecret) } },
      {
        Name: 'BRIDGE_ORDER_SECRET_PREVIOUS',
        ValueFrom: { Ref: logicalId(stack.gateway.bridgeOrderSecretPrevious) },
      },
    ]);
    const ids = [
      stack.gateway.bridgeSecret,
      stack.gateway.bridgeSecretPrevious,
      stack.gateway.bridgeOrderSecret,
      stack.gateway.bridgeOrderSecretPrevious,
    ].map((secret) => logicalId(secret));
    expect(new Set(ids).size).toBe(4);
    expect(bridge.DependsOn).toEqual([{ ContainerName: 'ib-gateway', Condition: 'START' }]);
  });

  it('gives the bridge only variables its environment schema knows (a misspelt name would be ignored)', () => {
    const bridge = container('bridge');
    const names = [...(bridge.Environment ?? []), ...(bridge.Secrets ?? [])].map((e) => e.Name);
    expect(names).toContain('BRIDGE_SECRET_PREVIOUS');
    expect(names).toContain('BRIDGE_ORDER_SECRET');
    expect(names).toContain('BRIDGE_MAX_CONTRACTS_PER_DAY');
    expect(names.filter((name) => !(name in BridgeEnvSchema.shape))).toEqual([]);
  });

  it('generates the four bridge secrets long enough for the bridge (16+ characters) and stores no value in the template', () => {
    const secrets = resourcesOfType(template, 'AWS::SecretsManager::Secret');
    for (const secret of [
      stack.gateway.bridgeSecret,
      stack.gateway.bridgeSecretPrevious,
      stack.gateway.bridgeOrderSecret,
      stack.gateway.bridgeOrderSecretPrevious,
    ]) {
      const props = secrets[logicalId(secret)]!.Properties!;
      expect(props.SecretString).toBeUndefined();
      const generated = props.GenerateSecretString as {
        PasswordLength: number;
        SecretStringTemplate?: string;
      };
      expect(generated.PasswordLength).toBeGreaterThanOrEqual(16);
      // A plain string, as the jobs' reader and ECS (whole SecretString) expect.
      expect(generated.SecretStringTemplate).toBeUndefined();
    }
  });

  it('lets the execution role read exactly the five secrets the containers get, and the task role none', () => {
    const statementsOf = (roleId: string) =>
      Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
        .filter((policy) =>
          (policy.Properties?.Roles as unknown[]).some((role) => referencedId(role) === roleId),
        )
        .flatMap(
          (policy) =>
            (
              policy.Properties?.PolicyDocument as {
                Statement: { Action: string | string[]; Resource: unknown; Effect: string }[];
              }
            ).Statement,
        );
    const secretAccess = (roleId: string) =>
      statementsOf(roleId).filter((statement) =>
        ([] as string[]).concat(statement.Action).some((action) => action.startsWith('secretsmanager:')),
      );

    const execution = secretAccess(logicalId(stack.gateway.taskDefinition.executionRole!));
    const readable = execution.flatMap((statement) =>
      ([] as unknown[]).concat(statement.Resource).map(referencedId),
    );
    expect(new Set(readable)).toEqual(
      new Set([
        logicalId(stack.gateway.ibCredentials),
        logicalId(stack.gateway.bridgeSecret),
        logicalId(stack.gateway.bridgeSecretPrevious),
        logicalId(stack.gateway.bridgeOrderSecret),
        logicalId(stack.gateway.bridgeOrderSecretPrevious),
      ]),
    );
    for (const statement of execution) {
      expect(statement.Effect).toBe('Allow');
      expect(
        ([] as string[])
          .concat(statement.Action)
          .filter((a) => a !== 'secretsmanager:GetSecretValue' && a !== 'secretsmanager:DescribeSecret'),
      ).toEqual([]);
    }
    // The values reach the containers through ECS at start; the running task cannot read any secret.
    expect(secretAccess(logicalId(stack.gateway.taskDefinition.taskRole))).toEqual([]);
  });

  it('names the four bridge secrets and the cluster in outputs, for the rotation procedure', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(JSON.stringify(outputs.BridgeSecretName?.Value)).toContain(logicalId(stack.gateway.bridgeSecret));
    expect(JSON.stringify(outputs.BridgeSecretPreviousName?.Value)).toContain(
      logicalId(stack.gateway.bridgeSecretPrevious),
    );
    expect(JSON.stringify(outputs.BridgeOrderSecretName?.Value)).toContain(
      logicalId(stack.gateway.bridgeOrderSecret),
    );
    expect(JSON.stringify(outputs.BridgeOrderSecretPreviousName?.Value)).toContain(
      logicalId(stack.gateway.bridgeOrderSecretPrevious),
    );
    expect(outputs.GatewayClusterName?.Value).toEqual({ Ref: logicalId(stack.gateway.cluster) });
  });

  it('gives the bridge the trading mode and its hard limits, from the config caps with a margin', () => {
    const risk = riskSchema.parse({});
    // The bridge counts option contracts (legs × quantity). Per order: an iron condor (four legs) at the
    // config's cap on one order. Per day (openings only): every allowed position at that size, three times
    // over (an entry re-sent after a reject or cancel, a second run by hand).
    expect(env(container('bridge'))).toMatchObject({
      TRADING_MODE: 'paper',
      BRIDGE_MAX_CONTRACTS_PER_ORDER: String(risk.maxContractsPerTrade * 4),
      BRIDGE_MAX_CONTRACTS_PER_DAY: String(risk.maxContractsPerTrade * 4 * risk.maxOpenPositions * 3),
      BRIDGE_PRICE_BAND_WIDTH_FRACTION: '0.1',
    });
  });

  it("keeps IB's own API order precautions on (BYPASS_WARNING=no) in the task, the image and the env template", () => {
    expect(env(container('ib-gateway')).BYPASS_WARNING).toBe('no');
    const dockerfile = readFileSync(repoPath('gateway-container/Dockerfile.gateway'), 'utf8');
    expect(/^\s*BYPASS_WARNING=(\S+)/m.exec(dockerfile)?.[1]).toBe('no');
    const template = readFileSync(repoPath('gateway-container/ibc/gateway.env.template'), 'utf8');
    expect(/^BYPASS_WARNING=(.*)$/m.exec(template)?.[1]).toBe('no');
  });

  it('runs the bridge with a read-only root file system and a task volume for /tmp', () => {
    const bridge = container('bridge') as Container & {
      ReadonlyRootFilesystem?: boolean;
      MountPoints?: { ContainerPath: string; SourceVolume: string; ReadOnly: boolean }[];
    };
    expect(bridge.ReadonlyRootFilesystem).toBe(true);
    expect(bridge.MountPoints).toEqual([
      { ContainerPath: '/tmp', SourceVolume: 'bridge-tmp', ReadOnly: false },
    ]);
    const volumes = Object.values(resourcesOfType(template, 'AWS::ECS::TaskDefinition'))[0]!.Properties!
      .Volumes as { Name: string; Host?: unknown }[];
    // A bind mount of the task's ephemeral storage (Fargate has no tmpfs); no host path.
    expect(volumes).toEqual([{ Name: 'bridge-tmp' }]);
    // Fargate creates a bind mount root-owned 0755 unless the image declares the path a VOLUME, whose
    // permissions it copies: /tmp (1777) stays writable for the image's non-root user.
    const dockerfile = readFileSync(repoPath('gateway-container/Dockerfile.bridge'), 'utf8');
    expect(dockerfile).toMatch(/^VOLUME \["\/tmp"\]$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    // The gateway image writes its settings, IBC's config.ini and its heap size into its install tree at
    // start (gateway-service.ts says why no volume can cover that): left writable, deliberately.
    expect((container('ib-gateway') as { ReadonlyRootFilesystem?: boolean }).ReadonlyRootFilesystem).toBe(
      false,
    );
  });

  it("does IB's weekly full login at Sun 18:00 New York by default: IBC's cold restart, known to the health check", () => {
    expect(env(container('ib-gateway')).TWS_COLD_RESTART).toBe('18:00');
    expect(env(container('ib-gateway')).TZ).toBe('America/New_York');
    const fn = stack.jobs.deployed.get('health-check')!.fn;
    const resource = template.toJSON().Resources[logicalId(fn)] as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    };
    expect(resource.Properties.Environment.Variables).toMatchObject({
      WEEKLY_LOGIN: 'Sun 18:00',
      TRADING_MODE: 'paper',
    });
  });

  it('health-checks the bridge /health in the task definition, with a long start period', () => {
    const healthCheck = container('bridge').HealthCheck as Record<string, unknown>;
    expect(healthCheck).toBeDefined();
    const command = (healthCheck.Command as string[]).join(' ');
    expect(command).toMatch(/^CMD /);
    expect(command).toContain('http://127.0.0.1:8080/health');
    // the very probe the bridge integration test runs against a login waiting for 2FA (exit 0) and a
    // wedged bridge (exit 1)
    expect(healthCheck.Command).toEqual(['CMD', 'node', '-e', containerHealthProbe(8080)]);
    expect(healthCheck.StartPeriod).toBe(300);
    expect(healthCheck.Retries).toBeGreaterThanOrEqual(3);
  });

  it('lets the task publish to the bridge event bus', () => {
    const taskRole = logicalId(stack.gateway.taskDefinition.taskRole);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: taskRole }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'events:PutEvents',
            Resource: { 'Fn::GetAtt': [logicalId(stack.bridgeEvents.bus), 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('keeps logs for a limited time', () => {
    for (const c of containers()) {
      const options = (c.LogConfiguration as { Options: Record<string, unknown> }).Options;
      const group = resourcesOfType(template, 'AWS::Logs::LogGroup')[referencedId(options['awslogs-group'])!];
      expect(group?.Properties?.RetentionInDays, c.Name).toBeGreaterThan(0);
    }
  });
});

describe('image pins', () => {
  const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
  const write = (text: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'dockerfile-'));
    const file = join(dir, 'Dockerfile');
    writeFileSync(file, text);
    return file;
  };

  it('builds the bridge only from base images pinned by digest', () => {
    const images = bridgeBaseImages();
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image).toMatch(/^node:\d+\.\d+\.\d+-[a-z]+-slim@sha256:[0-9a-f]{64}$/);
  });

  it('refuses a bridge base image without a digest, or a gateway image with a floating tag', () => {
    expect(() => bridgeBaseImages(write('FROM node:22-bookworm-slim AS build\nFROM build\n'))).toThrow(
      /node:22-bookworm-slim.*digest/,
    );
    expect(() => bridgeBaseImages(write(`FROM node:latest@${DIGEST}\n`))).toThrow(/node:latest/);
    expect(
      bridgeBaseImages(write(`FROM node:22.1.0-bookworm-slim@${DIGEST} AS build\nFROM build\n`)),
    ).toEqual([`node:22.1.0-bookworm-slim@${DIGEST}`]);
    for (const tag of ['latest', 'stable', `latest@${DIGEST}`])
      expect(() => ibGatewayImage(write(`ARG IB_GATEWAY_TAG=${tag}\n`))).toThrow(/IB_GATEWAY_TAG/);
    expect(() => ibGatewayImage(write(`ARG IB_GATEWAY_TAG=10.45.1j@sha256:abc\n`))).toThrow(/digest/);
    expect(ibGatewayImage(write(`ARG IB_GATEWAY_TAG=10.45.1j@${DIGEST}\n`))).toBe(
      `ghcr.io/gnzsnz/ib-gateway:10.45.1j@${DIGEST}`,
    );
  });
});

describe('security-group alarm', () => {
  /** EventBridge matching for the pattern features used here: exact values in arrays, nested objects. */
  function matches(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
    return Object.entries(pattern).every(([key, expected]) => {
      const actual = event[key];
      if (Array.isArray(expected)) return expected.includes(actual);
      return (
        typeof actual === 'object' &&
        actual !== null &&
        matches(expected as Record<string, unknown>, actual as Record<string, unknown>)
      );
    });
  }
  const cloudTrail = (eventName: string) => ({
    source: 'aws.ec2',
    'detail-type': 'AWS API Call via CloudTrail',
    detail: { eventSource: 'ec2.amazonaws.com', eventName, requestParameters: { groupId: 'sg-0abc' } },
  });

  it('sends every security-group or network-ACL change (CloudTrail) to the alert topic, and nothing else', () => {
    const rules = Object.values(resourcesOfType(template, 'AWS::Events::Rule')).filter((rule) =>
      JSON.stringify(rule.Properties?.EventPattern).includes('aws.ec2'),
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.Properties!;
    // The default bus, where CloudTrail delivers management events.
    expect(rule.EventBusName).toBeUndefined();
    const pattern = rule.EventPattern as Record<string, unknown>;
    for (const name of [
      'AuthorizeSecurityGroupIngress',
      'AuthorizeSecurityGroupEgress',
      'RevokeSecurityGroupIngress',
      'RevokeSecurityGroupEgress',
      'ModifySecurityGroupRules',
      'CreateSecurityGroup',
      'DeleteSecurityGroup',
      'CreateNetworkAclEntry',
      'ReplaceNetworkAclEntry',
      'DeleteNetworkAclEntry',
      'ReplaceNetworkAclAssociation',
      'ModifyNetworkInterfaceAttribute',
    ])
      expect(matches(pattern, cloudTrail(name)), name).toBe(true);
    for (const name of ['DescribeSecurityGroups', 'RunInstances', 'CreateTags'])
      expect(matches(pattern, cloudTrail(name)), name).toBe(false);
    const targets = rule.Targets as { Arn: unknown; RoleArn?: unknown }[];
    expect(targets.map((t) => referencedId(t.Arn))).toEqual([logicalId(stack.alerts.topic)]);
    // Published through a role of its own (IAM, not a key-policy statement for events.amazonaws.com).
    const roleId = referencedId(targets[0]!.RoleArn)!;
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sns:Publish', Resource: { Ref: logicalId(stack.alerts.topic) } }),
        ]),
      },
    });
  });
});

describe('storage', () => {
  const tableResource = (id: (typeof TABLE_IDS)[number]) =>
    (template.toJSON().Resources as Resources & Record<string, { DeletionPolicy?: string }>)[
      logicalId(stack.storage.tables[id])
    ]!;
  const localInputs = createTableInputs('local');

  it.each(TABLE_IDS)('%s matches the shared definition and the DynamoDB Local table', (id) => {
    const definition = TABLES[id];
    const props = tableResource(id).Properties!;
    const keySchema = [
      { AttributeName: definition.partitionKey.name, KeyType: 'HASH' },
      ...(definition.sortKey ? [{ AttributeName: definition.sortKey.name, KeyType: 'RANGE' }] : []),
    ];
    expect(props.KeySchema).toEqual(keySchema);
    const indexes = (props.GlobalSecondaryIndexes as Record<string, unknown>[] | undefined) ?? [];
    expect(indexes.map((index) => index.IndexName)).toEqual(
      definition.globalIndexes.map((index) => index.name),
    );
    for (const index of indexes) expect(index.Projection).toEqual({ ProjectionType: 'ALL' });
    expect(props.TimeToLiveSpecification).toEqual(
      definition.timeToLiveAttribute
        ? { AttributeName: definition.timeToLiveAttribute, Enabled: true }
        : undefined,
    );

    // The same keys, indexes and attribute types DynamoDB Local gets from the same definition.
    const local = localInputs.find((input) => input.TableName === `local-${definition.physicalSuffix}`)!;
    expect(props.KeySchema).toEqual(local.KeySchema);
    expect(new Set(props.AttributeDefinitions as unknown[])).toEqual(new Set(local.AttributeDefinitions));
    expect(
      indexes.map(({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection })),
    ).toEqual(local.GlobalSecondaryIndexes ?? []);
  });

  it('names every table in an output (the report from the deployed stack reads them), config under its old id', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(tableOutputName('config')).toBe('ConfigTableName');
    expect(tableOutputName('alertState')).toBe('AlertStateTableName');
    for (const id of TABLE_IDS) {
      expect(outputs[tableOutputName(id)]?.Value, id).toEqual({ Ref: logicalId(stack.storage.tables[id]) });
    }
  });

  it('bills on demand, encrypts, and keeps point-in-time recovery on every table', () => {
    for (const id of TABLE_IDS) {
      expect(tableResource(id).Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    }
  });

  it('retains positions, orders and config when the stack is deleted', () => {
    for (const id of ['positions', 'orders', 'config'] as const)
      expect(tableResource(id).DeletionPolicy).toBe('Retain');
    for (const id of ['candidates', 'snapshots', 'alertState', 'idempotency'] as const) {
      expect(tableResource(id).DeletionPolicy).toBe('Delete');
    }
  });
});

describe('alerts', () => {
  /** SNS filter-policy matching for one exact-string attribute allowlist (all this stack uses). */
  function smsWouldReceive(severity: AlertSeverity): boolean {
    const subscriptions = Object.values(resourcesOfType(template, 'AWS::SNS::Subscription'));
    const sms = subscriptions.find((s) => s.Properties?.Protocol === 'sms')!;
    const policy = sms.Properties?.FilterPolicy as Record<string, string[]>;
    const attributes = publishInput(
      'arn:aws:sns:us-east-1:123456789012:alerts',
      makeAlert({
        subject: 'SPY-IC-1',
        rule: 3,
        severity,
        title: 'test',
        message: 'test',
      }),
    ).MessageAttributes!;
    return Object.entries(policy).every(([name, allowed]) => {
      const value = attributes[name]?.StringValue;
      return value !== undefined && allowed.includes(value);
    });
  }

  it('subscribes the email to everything and the phone to CRITICAL only', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: TEST_EMAIL });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sms',
      Endpoint: TEST_PHONE,
      FilterPolicy: { severity: ['CRITICAL'] },
    });
    const email = Object.values(resourcesOfType(template, 'AWS::SNS::Subscription')).find(
      (s) => s.Properties?.Protocol === 'email',
    );
    expect(email?.Properties?.FilterPolicy).toBeUndefined();
  });

  it('lets through to SMS exactly what the SNS alerter marks CRITICAL', () => {
    expect(smsWouldReceive('CRITICAL')).toBe(true);
    expect(smsWouldReceive('WARNING')).toBe(false);
    expect(smsWouldReceive('INFO')).toBe(false);
  });

  it('encrypts the topic with a key CloudWatch alarms may use', () => {
    const keyId = logicalId(stack.alerts.key);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: Match.arrayWith(['kms:Decrypt']),
          }),
        ]),
      },
    });
  });
  it('conditions the CloudWatch key-policy statement on this account (aws:SourceAccount)', () => {
    const key = resourcesOfType(template, 'AWS::KMS::Key')[logicalId(stack.alerts.key)]!;
    const statements = (key.Properties!.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;
    const cloudWatch = statements.filter(
      (s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }),
    );
    expect(cloudWatch).toHaveLength(1);
    expect(cloudWatch[0]!.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    });
    // No other service principal may use the key.
    const services = statements.flatMap((s) =>
      typeof s.Principal === 'object' && s.Principal !== null && 'Service' in s.Principal
        ? [s.Principal]
        : [],
    );
    expect(services).toHaveLength(1);
  });

  it('lets only the roles that publish alerts decrypt with the alert key', () => {
    const keyId = logicalId(stack.alerts.key);
    const decrypting = new Set<string>();
    for (const policy of Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))) {
      const statements = (policy.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] })
        .Statement;
      const onKey = statements.some(
        (s) =>
          ([] as string[]).concat(s.Action as string | string[]).includes('kms:Decrypt') &&
          ([] as unknown[]).concat(s.Resource).some((r) => referencedId(r) === keyId),
      );
      if (onKey)
        for (const role of policy.Properties?.Roles as unknown[]) decrypting.add(referencedId(role)!);
    }
    const publishers = new Set([...stack.jobs.deployed.values()].map(({ fn }) => logicalId(fn.role!)));
    const alarmRole = Object.values(resourcesOfType(template, 'AWS::Events::Rule'))
      .flatMap((rule) => (rule.Properties?.Targets as { Arn: unknown; RoleArn?: unknown }[]) ?? [])
      .filter((t) => referencedId(t.Arn) === logicalId(stack.alerts.topic))
      .map((t) => referencedId(t.RoleArn)!);
    expect(alarmRole).toHaveLength(1);
    publishers.add(alarmRole[0]!);
    expect([...decrypting].sort()).toEqual([...publishers].sort());
  });
});

describe('alarms', () => {
  const alarms = () =>
    Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties!);
  const topicRef = () => ({ Ref: logicalId(stack.alerts.topic) });

  it('all notify the alert topic', () => {
    expect(alarms().length).toBeGreaterThan(0);
    for (const alarm of alarms()) expect(alarm.AlarmActions).toEqual([topicRef()]);
  });

  it('fire on any execute-strategies or monitor error', () => {
    for (const name of ['execute-strategies', 'monitor'] as const) {
      const fnId = logicalId(stack.jobs.deployed.get(name)!.fn);
      const alarm = alarms().find(
        (a) =>
          a.MetricName === 'Errors' &&
          (a.Dimensions as { Value: unknown }[]).some((d) => referencedId(d.Value) === fnId),
      );
      expect(alarm, name).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('fire on a message in any dead-letter queue', () => {
    for (const [name, job] of stack.jobs.deployed) {
      const queueId = logicalId(job.deadLetterQueue);
      const alarm = alarms().find(
        (a) =>
          a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          (a.Dimensions as { Value: unknown }[]).some((d) => JSON.stringify(d.Value).includes(queueId)),
      );
      expect(alarm, name).toMatchObject({ Threshold: 1 });
    }
  });

  it('fire when no gateway task runs (missing data counts as not running)', () => {
    const alarm = alarms().find((a) => a.Namespace === 'AWS/ECS');
    expect(alarm).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
    const dimensions = Object.fromEntries(
      (alarm!.Dimensions as { Name: string; Value: unknown }[]).map((d) => [d.Name, JSON.stringify(d.Value)]),
    );
    expect(dimensions.ServiceName).toContain(logicalId(stack.gateway.service));
    expect(dimensions.ClusterName).toContain(logicalId(stack.gateway.cluster));
  });
});

describe('the watchman of the watchman', () => {
  it('an alarm fires when the health check has not been invoked for an hour (missing data breaches)', () => {
    const fnId = logicalId(stack.jobs.deployed.get('health-check')!.fn);
    const alarm = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties!)
      .find(
        (a) =>
          a.MetricName === 'Invocations' &&
          (a.Dimensions as { Value: unknown }[]).some((d) => referencedId(d.Value) === fnId),
      );
    expect(alarm).toMatchObject({
      Namespace: 'AWS/Lambda',
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 1,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: logicalId(stack.alerts.topic) }],
    });
  });
});

describe('logs', () => {
  it('every log group has a retention and is deleted with the stack', () => {
    const groups = template.toJSON().Resources as Record<
      string,
      { Type: string; DeletionPolicy?: string; Properties?: { RetentionInDays?: number } }
    >;
    const logGroups = Object.entries(groups).filter(([, r]) => r.Type === 'AWS::Logs::LogGroup');
    expect(logGroups.length).toBeGreaterThanOrEqual(stack.jobs.deployed.size + 2);
    for (const [id, group] of logGroups) {
      expect(group.Properties?.RetentionInDays, id).toBeLessThanOrEqual(90);
      expect(group.DeletionPolicy, id).toBe('Delete');
    }
  });

  it('records rejected VPC flows', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT', ResourceType: 'VPC' });
  });
});

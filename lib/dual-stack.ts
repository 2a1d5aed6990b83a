// Where the `-c egress=ipv6` layout can work: the regions in which each service the Lambda jobs call over
// IPv6 has a dual-stack endpoint, as read in AWS's documentation (2026-12). Only the rows actually read
// are listed, so a region missing here may well have the endpoints: check the source page, add the region
// to each service it names, and the layout is allowed there. DynamoDB is not here: the jobs keep reaching
// it over IPv4 through its gateway endpoint in both layouts.
//
// What the SDK calls with `AWS_USE_DUALSTACK_ENDPOINT=true` (checked with the SDK's own endpoint rules,
// test/infra/layouts.test.ts): sns.<region>.api.aws, secretsmanager.<region>.amazonaws.com (Secrets
// Manager's standard endpoint is itself dual-stack) and ecs.<region>.api.aws.
import { Aws, CfnRule, Fn, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

export interface DualStackService {
  /** What the jobs call it for. */
  purpose: string;
  /** The dual-stack host, `<region>` standing for the region. */
  endpoint: string;
  /** Where the regions come from. */
  sources: readonly string[];
  regions: readonly string[];
}

const US_AND_CAPE_TOWN = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'af-south-1'] as const;

export const DUAL_STACK_SERVICES: Readonly<Record<'sns' | 'secretsmanager' | 'ecs', DualStackService>> = {
  sns: {
    purpose: 'alerts (sns:Publish)',
    endpoint: 'sns.<region>.api.aws',
    sources: [
      'https://docs.aws.amazon.com/general/latest/gr/sns.html',
      'https://docs.aws.amazon.com/sns/latest/dg/sns-dual-stack.html',
    ],
    // The General Reference table lists sns.<region>.api.aws for these (the rows read).
    regions: [
      ...US_AND_CAPE_TOWN,
      'ap-east-1',
      'ap-south-2',
      'ap-southeast-3',
      'ap-southeast-4',
      'ap-southeast-5',
    ],
  },
  secretsmanager: {
    purpose: 'the bridge secrets (secretsmanager:GetSecretValue)',
    endpoint: 'secretsmanager.<region>.amazonaws.com',
    sources: [
      // "The secretsmanager.{region}.amazonaws.com dual-stack endpoint ... supports both IPv6 and IPv4."
      'https://docs.aws.amazon.com/secretsmanager/latest/userguide/ip-access.html',
      'https://docs.aws.amazon.com/general/latest/gr/asm.html',
    ],
    regions: [
      ...US_AND_CAPE_TOWN,
      'ap-east-1',
      'ap-south-1',
      'ap-south-2',
      'ap-southeast-3',
      'ap-southeast-4',
      'ap-southeast-5',
      'ap-southeast-6',
      'ap-northeast-2',
      'ap-northeast-3',
    ],
  },
  ecs: {
    purpose: 'health-check restarting the gateway (ecs:DescribeServices, ecs:UpdateService)',
    endpoint: 'ecs.<region>.api.aws',
    sources: [
      'https://docs.aws.amazon.com/general/latest/gr/ecs-service.html',
      'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/dual-stack-endpoint.html',
    ],
    regions: [...US_AND_CAPE_TOWN],
  },
};

/** Regions where every service above has a dual-stack endpoint. */
export const IPV6_EGRESS_REGIONS: readonly string[] = DUAL_STACK_SERVICES.sns.regions.filter((region) =>
  Object.values(DUAL_STACK_SERVICES).every((service) => service.regions.includes(region)),
);

/** Why `region` cannot take the ipv6 layout, one line per service lacking a dual-stack endpoint there. */
export function dualStackGaps(region: string): string[] {
  return Object.entries(DUAL_STACK_SERVICES)
    .filter(([, service]) => !service.regions.includes(region))
    .map(
      ([name, service]) =>
        `${name} (${service.purpose}) has no dual-stack endpoint listed for ${region} ` +
        `(lib/dual-stack.ts, from ${service.sources[0]})`,
    );
}

/**
 * Refuses the ipv6 layout outside IPV6_EGRESS_REGIONS: at synth when the stack's region is known, else
 * (an environment-agnostic stack, the default) through a CloudFormation rule that fails the deploy before
 * any resource is created.
 */
export function requireDualStackRegion(scope: Construct, region: string): void {
  if (!Token.isUnresolved(region)) {
    const gaps = dualStackGaps(region);
    if (gaps.length > 0)
      throw new Error(
        `egress=ipv6 cannot work in ${region}: the Lambda jobs would lose these services:\n  ${gaps.join('\n  ')}\n` +
          'Deploy with -c egress=endpoints (the default), or add the region once AWS lists the endpoints.',
      );
    return;
  }
  new CfnRule(scope, 'DualStackRegion', {
    assertions: [
      {
        assert: Fn.conditionContains([...IPV6_EGRESS_REGIONS], Aws.REGION),
        assertDescription:
          `egress=ipv6 needs dual-stack SNS, Secrets Manager and ECS endpoints, listed for ` +
          `${IPV6_EGRESS_REGIONS.join(', ')} only (lib/dual-stack.ts); deploy with -c egress=endpoints elsewhere.`,
      },
    ],
  });
}

// AWS list prices, us-east-1 (N. Virginia), on-demand, before any free tier: the free tier is per account
// and may be spent elsewhere, so the estimate is what this stack adds to a bill that has none left.
// Checked 2026-12-03 against the pricing pages named beside each price (third-party copies of those pages,
// e.g. vantage.sh/blog/fargate-pricing and airbyte.com's DynamoDB guide, quote the same figures).
// When AWS changes a price, change it here and run `npx tsx scripts/cost.ts --write`.
export const PRICES_CHECKED = '2026-12-03';
export const PRICE_REGION = 'us-east-1';

export const PRICES = {
  fargate: {
    // https://aws.amazon.com/fargate/pricing/ (Linux/X86, Linux/ARM)
    vcpuHour: { X86_64: 0.04048, ARM64: 0.03238 },
    gbHour: { X86_64: 0.004445, ARM64: 0.00356 },
  },
  // https://aws.amazon.com/vpc/pricing/ ("Public IPv4 Addresses": in-use and idle alike)
  publicIpv4Hour: 0.005,
  // https://aws.amazon.com/privatelink/pricing/ (interface endpoints; gateway endpoints are free)
  interfaceEndpoint: { azHour: 0.01, gb: 0.01 },
  // https://aws.amazon.com/vpc/pricing/ ("NAT Gateway Pricing")
  natGateway: { hour: 0.045, gb: 0.045 },
  // https://aws.amazon.com/kms/pricing/ (customer managed key, prorated hourly)
  kmsKeyMonth: 1.0,
  cloudWatch: {
    // https://aws.amazon.com/cloudwatch/pricing/ (Dashboards, Alarms standard resolution, Logs, Metrics)
    dashboardMonth: 3.0,
    alarmMetricMonth: 0.1,
    logIngestGb: 0.5,
    logStoreGbMonth: 0.03,
    /** A custom metric billed for a full month; CloudWatch prorates by the hours a metric is sent. */
    customMetricMonth: 0.3,
  },
  lambda: {
    // https://aws.amazon.com/lambda/pricing/ (first tier of duration)
    gbSecond: { arm64: 0.0000133334, x86_64: 0.0000166667 },
    requestPerMillion: 0.2,
  },
  // https://aws.amazon.com/xray/pricing/ (traces recorded)
  xrayTracePerMillion: 5.0,
  // https://aws.amazon.com/eventbridge/pricing/ (Scheduler invocations)
  schedulerPerMillion: 1.0,
  dynamoDb: {
    // https://aws.amazon.com/dynamodb/pricing/on-demand/ (Standard table class)
    writeUnitPerMillion: 0.625,
    readUnitPerMillion: 0.125,
    storageGbMonth: 0.25,
    /** Continuous backups (point-in-time recovery), per GB-month of table size. */
    pitrGbMonth: 0.2,
  },
  sns: {
    // https://aws.amazon.com/sns/pricing/ (publishes, email deliveries)
    publishPerMillion: 0.5,
    emailPer100k: 2.0,
    // https://aws.amazon.com/end-user-messaging/pricing/ (United States, toll-free: base price plus the
    // carrier fee, which varies by carrier; the highest of the three large carriers' fees)
    smsUs: 0.00581 + 0.003,
    tollFreeNumberMonth: 2.0,
  },
  // https://aws.amazon.com/secrets-manager/pricing/
  secretMonth: 0.4,
  // https://aws.amazon.com/cloud-map/pricing/ and https://aws.amazon.com/route53/pricing/ (the private
  // DNS namespace is a Route 53 private hosted zone; each registered task is a Cloud Map instance)
  hostedZoneMonth: 0.5,
  cloudMapInstanceMonth: 0.1,
} as const;

export type Prices = typeof PRICES;

/**
 * The allowances AWS gives every account every month, not only in its first year ("always free"), as each
 * service's pricing page lists them. They are per account: an account that already uses them elsewhere
 * pays the list price, so the estimate prints both.
 */
export const ALWAYS_FREE = {
  // https://aws.amazon.com/cloudwatch/pricing/ ("Free tier")
  cloudWatch: { dashboards: 3, alarmMetrics: 10, customMetrics: 10, logGb: 5 },
  // https://aws.amazon.com/lambda/pricing/ ("The AWS Lambda free tier includes one million free requests
  // per month and 400,000 GB-seconds of compute time per month")
  lambda: { requests: 1_000_000, gbSeconds: 400_000 },
  // https://aws.amazon.com/xray/pricing/ ("The first 100,000 traces recorded each month are free")
  xrayTraces: 100_000,
  // https://aws.amazon.com/sns/pricing/ (first 1 million publishes, 1,000 email deliveries a month)
  sns: { publishes: 1_000_000, emails: 1_000 },
  // https://aws.amazon.com/dynamodb/pricing/on-demand/ ("25 GB of data storage" in the free tier)
  dynamoDbStorageGb: 25,
} as const;

export type AlwaysFree = typeof ALWAYS_FREE;

// A NodejsFunction with the project-wide defaults set once (the Powertools example-app pattern): Node 22
// on ARM64 (cheaper per GB-second than x86), one minified ESM bundle with source maps built by the local
// esbuild (no Docker), active X-Ray tracing, and an explicit log group with a retention (the implicit one
// Lambda creates keeps logs forever).
import { isAbsolute } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { isDualStackJobsVpc } from './network';
import { REPO_ROOT, repoPath } from './paths';

export const JOB_RUNTIME = lambda.Runtime.NODEJS_22_X;
export const LOG_RETENTION = logs.RetentionDays.ONE_MONTH;

export interface JobFunctionProps extends Omit<
  nodejs.NodejsFunctionProps,
  'entry' | 'runtime' | 'architecture' | 'bundling' | 'logGroup' | 'projectRoot' | 'depsLockFilePath'
> {
  /** Entry file: relative to the repository root, or absolute (test fixtures). */
  entry: string;
  /** Powertools service name (the job name): logs and metrics are labelled with it. */
  serviceName: string;
}

export class JobFunction extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: JobFunctionProps) {
    const { entry, serviceName, environment, ...rest } = props;
    // The `egress=ipv6` layout (network.ts): IPv6 out of the dual-stack subnets, and the SDK's dual-stack
    // endpoints for every client (AWS_USE_DUALSTACK_ENDPOINT, read natively by SDK v3) except DynamoDB's,
    // which stays on IPv4 for its gateway endpoint (functions/jobs/shared/context.ts).
    const dualStack = isDualStackJobsVpc(rest.vpc);
    // The log group is created beside the function (a sibling) so it exists before the first invocation.
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: isAbsolute(entry) ? entry : repoPath(entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: repoPath('package-lock.json'),
      runtime: JOB_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      logGroup,
      timeout: Duration.minutes(1),
      memorySize: 512,
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        // The AWS SDK is bundled too (no external modules): the deployed code runs the SDK version the
        // tests ran against, not whichever one the runtime ships this month.
        externalModules: [],
        // Prefer the ES module build of dependencies that ship both (smaller, tree-shaken bundles).
        mainFields: ['module', 'main'],
        // CommonJS dependencies inside an ESM bundle call require(): give them one.
        banner:
          "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
      ...rest,
      ...(dualStack ? { ipv6AllowedForDualStack: true } : {}),
      environment: {
        // Stack traces point at the TypeScript sources.
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: serviceName,
        ...(dualStack ? { AWS_USE_DUALSTACK_ENDPOINT: 'true' } : {}),
        ...environment,
      },
    });
    // Active tracing, with X-Ray's write permissions from the AWS managed policy rather than the inline
    // `xray:* on *` statement `tracing: ACTIVE` would add: the role then holds no `Resource::*` of ours,
    // and cdk-nag flags any wildcard a future grant introduces instead of it hiding behind that one.
    (this.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: 'Active' };
    this.role?.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('AWSXRayDaemonWriteAccess'));
  }
}

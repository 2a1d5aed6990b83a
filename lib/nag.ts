// The cdk-nag AwsSolutions findings this design accepts, in one place, each with why. cdk-nag 3 runs as a
// CDK policy-validation plugin (lib/app.ts): any finding not acknowledged here fails the synth.
//
// Acknowledgements name the exact finding (`AwsSolutions-IAM5[Resource::...]`) and sit on the exact
// resource it is about (a role's policy, not the role or the function around it), so a NEW wildcard, a new
// managed policy or a new secret still fails the synth and gets looked at.
import { Stack, Validations } from 'aws-cdk-lib';
import type { CfnElement } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { TABLES } from '#adapters/dynamo/tables';
import type { OptionsIncomeStack } from './options-income-stack';

const PACK = 'AwsSolutions::AwsSolutions';

function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `${PACK}-${rule}`, reason });
}

/** The inline policy CDK attaches a role's grants to: where cdk-nag reports their IAM5 findings. */
function defaultPolicyOf(role: iam.IRole): IConstruct {
  return role.node.findChild('DefaultPolicy');
}

/** How cdk-nag prints a resource's `Fn::GetAtt [logicalId, Arn]` in a finding id. */
function arnRef(element: IConstruct): string {
  return `<${Stack.of(element).resolve((element.node.defaultChild as CfnElement).logicalId)}.Arn>`;
}

export function acknowledgeNagFindings(stack: OptionsIncomeStack): void {
  const { gateway, jobs, storage, network, observability } = stack;

  // --- gateway task --------------------------------------------------------------------------------
  acknowledge(
    gateway.cluster,
    'ECS4',
    'Container Insights would cost about $7/month of custom metrics for a single task; the free AWS/ECS ' +
      'CPUUtilization metric drives the "gateway not running" alarm and the health-check job probes the bridge.',
  );
  acknowledge(
    gateway.taskDefinition,
    'ECS2',
    'The plain environment variables are non-secret settings (trading mode, restart time, ports, bus name); ' +
      'the IB login and the bridge secret come from Secrets Manager through ECS secrets.',
  );
  acknowledge(
    gateway.ibCredentials,
    'SMG4',
    'The IB login cannot be rotated by a Lambda: IB changes passwords interactively with a second factor. ' +
      'The operator rotates it at IB and stores the new one here.',
  );
  acknowledge(
    gateway.bridgeSecret,
    'SMG4',
    'Rotated by hand with overlap (BRIDGE_SECRET_PREVIOUS on the bridge, README): an automatic rotation ' +
      'would cut the jobs off from the bridge until the task restarts.',
  );
  acknowledge(
    gateway.bridgeSecretPrevious,
    'SMG4',
    'Holds the bridge secret before the last hand rotation (README); the operator copies the current secret ' +
      'into it, so an automatic rotation would replace the very value it exists to keep.',
  );
  acknowledge(
    gateway.bridgeOrderSecret,
    'SMG4',
    'Rotated by hand with overlap like the read secret (BRIDGE_ORDER_SECRET_PREVIOUS on the bridge, README): ' +
      'an automatic rotation would cut execute-strategies and monitor off from the order routes until the task restarts.',
  );
  acknowledge(
    gateway.bridgeOrderSecretPrevious,
    'SMG4',
    'Holds the order-route secret before the last hand rotation (README); an automatic rotation would replace ' +
      'the very value it exists to keep.',
  );
  if (gateway.taskDefinition.executionRole) {
    acknowledge(
      defaultPolicyOf(gateway.taskDefinition.executionRole),
      'IAM5[Resource::*]',
      'ecr:GetAuthorizationToken (to pull the bridge image) has no resource-level permissions; the pull ' +
        'itself is scoped to the asset repository.',
    );
  }

  // --- network and alarms -------------------------------------------------------------------------
  for (const construct of [network.gatewayAcl, ...network.gatewayAcl.node.children]) {
    if (construct !== network.gatewayAcl && !(construct instanceof ec2.NetworkAclEntry)) continue;
    acknowledge(
      construct,
      'VPC3',
      'Deliberate: the public subnets deny the IB API and socat ports (4000-4004) and VNC (5900) from anywhere, ' +
        'a second line behind the security group; everything else stays allowed (network.ts).',
    );
  }
  acknowledge(
    defaultPolicyOf(observability.networkChangeRole),
    'IAM5[Action::kms:GenerateDataKey*]',
    'Publishing the network-change alert to the encrypted alert topic needs kms:GenerateDataKey* on its key; the grant names that key only.',
  );

  // --- Lambda jobs ---------------------------------------------------------------------------------
  for (const { spec, fn, deadLetterQueue, schedulerRole } of jobs.deployed.values()) {
    // Only the tables this job is granted (jobs-table.ts); every job also gets config and alertState,
    // which have no indexes.
    const indexWildcards = [...new Set([...spec.reads, ...spec.writes])]
      .filter((tableId) => TABLES[tableId].globalIndexes.length > 0)
      .map((tableId) => `${arnRef(storage.tables[tableId])}/index/*`);
    acknowledge(
      fn,
      'L1',
      'Pinned to nodejs22.x on purpose: the bundles target node22 and the code is tested on Node 20/22; ' +
        'a runtime upgrade is a reviewed change.',
    );
    const role = fn.role!;
    for (const policy of ['AWSLambdaBasicExecutionRole', 'AWSLambdaVPCAccessExecutionRole']) {
      acknowledge(
        role,
        `IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`,
        `${policy} is the minimal AWS-maintained policy Lambda needs for its logs and its VPC network interfaces.`,
      );
    }
    acknowledge(
      role,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AWSXRayDaemonWriteAccess]',
      'Active tracing: X-Ray trace writes have no resource-level permissions; the AWS-maintained policy ' +
        'keeps that wildcard out of the role policy, where cdk-nag would otherwise have to ignore Resource::*.',
    );
    acknowledge(
      defaultPolicyOf(role),
      'IAM5[Action::kms:GenerateDataKey*]',
      'Publishing to the encrypted alert topic needs kms:GenerateDataKey* on its key; the grant names that key only.',
    );
    for (const wildcard of indexWildcards) {
      acknowledge(
        defaultPolicyOf(role),
        `IAM5[Resource::${wildcard}]`,
        `${spec.name} queries the global secondary indexes of a table it is granted; index/* covers exactly those.`,
      );
    }
    acknowledge(
      deadLetterQueue,
      'SQS3',
      `This queue IS the dead-letter queue of ${spec.name} (Lambda on-failure destination and Scheduler DLQ); ` +
        'cdk-nag only recognises queues referenced by a redrive policy.',
    );
    if (schedulerRole) {
      acknowledge(
        defaultPolicyOf(schedulerRole),
        `IAM5[Resource::${arnRef(fn)}:*]`,
        `Scheduler may invoke any version or alias of the ${spec.name} function and nothing else (CDK's LambdaInvoke grant).`,
      );
    }
  }
}

// The gateway service port (ECS): what health-check needs to know about the Fargate service running IB
// Gateway + the bridge, and the actions taken on it: force a new deployment, which replaces the task
// (health-check), and set the desired task count, which starts or stops it (gateway-hours).
//
// Built once per container from ECS_CLUSTER / ECS_SERVICE; without them (local runs) there is no ECS
// port and health-check says so instead of failing. Tests inject a port or mock ECSClient.
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { ECSClient as EcsClientType } from '@aws-sdk/client-ecs';

export interface GatewayDeployment {
  id: string;
  /** PRIMARY (the newest) or ACTIVE (being replaced). */
  status: string;
  rolloutState?: string;
  runningCount: number;
  desiredCount: number;
  /** Epoch ms. */
  createdAt?: number;
}

export interface GatewayServiceState {
  cluster: string;
  service: string;
  /** ACTIVE, DRAINING or INACTIVE; MISSING when ECS does not know the service. */
  status: string;
  runningCount: number;
  desiredCount: number;
  pendingCount: number;
  deployments: GatewayDeployment[];
}

export interface GatewayService {
  readonly cluster: string;
  readonly service: string;
  describe(): Promise<GatewayServiceState>;
  /** UpdateService with forceNewDeployment: ECS starts a new task and drains the old one. */
  forceNewDeployment(): Promise<{ deploymentId?: string }>;
  /** UpdateService with desiredCount: 1 starts the task, 0 stops it. */
  setDesiredCount(count: 0 | 1): Promise<void>;
}

export function ecsGatewayService(options: {
  client: Pick<EcsClientType, 'send'>;
  cluster: string;
  service: string;
}): GatewayService {
  const { client, cluster, service } = options;
  return {
    cluster,
    service,
    async describe() {
      const out = await client.send(new DescribeServicesCommand({ cluster, services: [service] }));
      const found = out.services?.find(
        (s) => s.serviceName === service || s.serviceArn?.endsWith(`/${service}`),
      );
      if (!found) {
        const why = out.failures?.[0]?.reason;
        return {
          cluster,
          service,
          status: why ? `MISSING (${why})` : 'MISSING',
          runningCount: 0,
          desiredCount: 0,
          pendingCount: 0,
          deployments: [],
        };
      }
      return {
        cluster,
        service,
        status: found.status ?? 'UNKNOWN',
        runningCount: found.runningCount ?? 0,
        desiredCount: found.desiredCount ?? 0,
        pendingCount: found.pendingCount ?? 0,
        deployments: (found.deployments ?? []).map((d) => ({
          id: d.id ?? '',
          status: d.status ?? 'UNKNOWN',
          ...(d.rolloutState === undefined ? {} : { rolloutState: d.rolloutState }),
          runningCount: d.runningCount ?? 0,
          desiredCount: d.desiredCount ?? 0,
          ...(d.createdAt === undefined ? {} : { createdAt: d.createdAt.getTime() }),
        })),
      };
    },
    async forceNewDeployment() {
      const out = await client.send(new UpdateServiceCommand({ cluster, service, forceNewDeployment: true }));
      const primary = out.service?.deployments?.find((d) => d.status === 'PRIMARY');
      return primary?.id === undefined ? {} : { deploymentId: primary.id };
    },
    async setDesiredCount(count) {
      await client.send(new UpdateServiceCommand({ cluster, service, desiredCount: count }));
    },
  };
}

let injected: GatewayService | null | undefined;
let built: GatewayService | undefined;

/**
 * The container's gateway service: the injected one, else one built from ECS_CLUSTER / ECS_SERVICE on
 * first use; undefined when they are not set (a local run has no ECS).
 */
export function gatewayService(
  env: Readonly<Record<string, string | undefined>> = process.env,
): GatewayService | undefined {
  if (injected !== undefined) return injected ?? undefined;
  if (built) return built;
  const cluster = env.ECS_CLUSTER;
  const service = env.ECS_SERVICE;
  if (!cluster || !service) return undefined;
  built = ecsGatewayService({ client: new ECSClient({}), cluster, service });
  return built;
}

/** Injects a port (tests, local runs); `null` means "no ECS"; undefined goes back to the environment. */
export function setGatewayService(service: GatewayService | null | undefined): void {
  injected = service;
  built = undefined;
}

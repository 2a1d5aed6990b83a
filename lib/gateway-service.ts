// The always-on Fargate task: IB Gateway + IBC and the bridge, two containers sharing the task's network
// namespace, so the bridge reaches the gateway's API on 127.0.0.1 and nothing outside the task can
// (the images and their pinning: gateway-images.ts).
//
// One task, ever: two gateways logged in with the same IB user knock each other out, so deployments stop
// the old task before starting the new one (minHealthyPercent 0, maxHealthyPercent 100).
//
// Size: 0.5 vCPU / 2 GB (≈ $21/month on x86, about 20 % less on arm64, the default) by default, not
// 1 vCPU (≈ $36). The steady load is one API socket paced at ≤ 45 messages/s plus a small HTTP service;
// only the gateway's JVM start-up is CPU-bound, and it merely takes longer (the health check's 300 s
// start period covers it). Memory is what matters: a 768 MB Java heap plus JVM overhead, Xvfb and the
// Node bridge need about 1.5 GB. `-c gatewayCpu=1024` buys a faster start.
import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { weeklyLoginTime } from '#core/login';
import { containerHealthProbe } from '#bridge/contract';
import { bridgeImageAsset, GATEWAY_PLATFORMS, ibGatewayImage } from './gateway-images';
import type { GatewayArch } from './gateway-images';
import { BRIDGE_PORT } from './network';
import type { Network } from './network';

/** Cloud Map: the jobs reach the bridge at http://bridge.ib.internal:8080. */
export const BRIDGE_NAMESPACE = 'ib.internal';
export const BRIDGE_SERVICE_NAME = 'bridge';
export const BRIDGE_URL = `http://${BRIDGE_SERVICE_NAME}.${BRIDGE_NAMESPACE}:${BRIDGE_PORT}`;

/** The bridge's IB API client id: the only API client of this gateway (IB answers 326 to a second). */
export const IB_CLIENT_ID = 1;

/** IB Gateway API ports inside the task: the gateway listens on them for 127.0.0.1 only. */
export const IB_API_PORT = { paper: 4002, live: 4001 } as const;

/**
 * IBC restarts the gateway daily at 23:45 New York time without a new 2FA; the bridge reports 23:45-02:00
 * (that restart and IB's nightly reset, about 00:15-01:45) as the restart window, in which the health-check
 * job counts no failure and never restarts the gateway. Both settings come from here.
 */
const AUTO_RESTART_TIME = '11:45 PM';
const RESTART_WINDOW = '23:45-02:00';
const TIME_ZONE = 'America/New_York';
const BRIDGE_TMP_VOLUME = 'bridge-tmp';

/**
 * IB's own API order precautions stay on. The gnzsnz image maps BYPASS_WARNING to all nine of IBC's
 * `Bypass…` settings at once (its config.ini.tmpl: BypassOrderPrecautions, BypassBondWarning,
 * BypassNegativeYieldToWorstConfirmation, BypassCalledBondWarning, BypassSameActionPairTradeWarning,
 * BypassPriceBasedVolatilityRiskWarning, BypassUSStocksMarketDataInSharesWarning,
 * BypassRedirectOrderWarning, BypassNoOverfillProtectionPrecaution = ${BYPASS_WARNING}); IBC sets the
 * matching "Precautions" checkboxes of the gateway's API settings ('yes' ticks a bypass, 'no' clears it,
 * unset leaves the stored setting). So one switch, and the narrowest value is 'no': nothing bypassed.
 * Orders inside IB's precautionary limits (order size, value, price cap) go through unattended as before;
 * one outside them is refused by IB (no one is there to confirm it) and the bridge returns IB's reason.
 * The other eight concern bonds, pair trades, directed orders and US-stock market-data units, which this
 * bot never sends. If a legitimate order is ever refused that way, raise IB's limit in the precautionary
 * settings rather than bypass them all.
 */
export const BYPASS_WARNING = 'no';

/** The bridge's price band: the natural–mid band widened by this fraction of the spread's width. */
export const BRIDGE_PRICE_BAND_WIDTH_FRACTION = 0.1;

export interface GatewayServiceProps {
  network: Network;
  tradingMode: 'paper' | 'live';
  /** The bridge's hard caps (settings.ts says how the defaults are chosen). */
  maxContractsPerOrder: number;
  maxContractsPerDay: number;
  eventBusName: string;
  /** Fargate CPU units, 512 or 1024 (memory is 2 GB). */
  cpu: number;
  /** The task's CPU architecture; the bridge image is built for the same one (settings.ts). */
  arch: GatewayArch;
  /** A prebuilt bridge image URI; else built from Dockerfile.bridge at deploy. */
  bridgeImage?: string;
  ibMarketDataType: number;
  /** IB's weekly full login, `Sun HH:MM` New York (settings.ts). */
  weeklyLogin: string;
}

export class GatewayService extends Construct {
  readonly cluster: ecs.Cluster;
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  /** HMAC secret shared by the bridge and the jobs (plain SecretString). */
  readonly bridgeSecret: secretsmanager.Secret;
  /**
   * The bridge secret before the last rotation (plain SecretString): the bridge still accepts it, so
   * jobs that read the old secret before a rotation keep working; the jobs never read it.
   */
  readonly bridgeSecretPrevious: secretsmanager.Secret;
  /**
   * HMAC secret of the order routes (POST/PUT/DELETE /orders*): only the jobs that trade
   * (execute-strategies, monitor) read it, so a leak of the read secret, which every bridge caller holds,
   * cannot place an order. Rotated like the read secret, with its own previous one.
   */
  readonly bridgeOrderSecret: secretsmanager.Secret;
  readonly bridgeOrderSecretPrevious: secretsmanager.Secret;
  /** IB login, `{"username": "...", "password": "..."}`, filled in by the operator after the first deploy. */
  readonly ibCredentials: secretsmanager.Secret;
  readonly namespace: servicediscovery.PrivateDnsNamespace;
  readonly bridgeUrl = BRIDGE_URL;
  /** What the health check needs to know about the login (its WEEKLY_LOGIN and TRADING_MODE). */
  readonly weeklyLogin: string;
  readonly tradingMode: 'paper' | 'live';

  constructor(scope: Construct, id: string, props: GatewayServiceProps) {
    super(scope, id);
    const { vpc } = props.network;
    this.weeklyLogin = props.weeklyLogin;
    this.tradingMode = props.tradingMode;
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      // Container Insights would bill ≈ $7/month of custom metrics for one task; the free AWS/ECS
      // metrics are enough for the "task not running" alarm (observability.ts).
      containerInsightsV2: ecs.ContainerInsights.DISABLED,
    });
    this.namespace = new servicediscovery.PrivateDnsNamespace(this, 'Namespace', {
      name: BRIDGE_NAMESPACE,
      vpc,
      description: 'Private DNS for the bridge',
    });

    // The placeholder lets the first deploy succeed; IBC then fails to log in (user "set-me") until the
    // operator stores the real login (README: Deploy). Credentials are never in code or images.
    this.ibCredentials = new secretsmanager.Secret(this, 'IbCredentials', {
      description: 'IB Gateway login: {"username": "...", "password": "..."}',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'set-me' }),
        generateStringKey: 'password',
      },
    });
    this.bridgeSecret = new secretsmanager.Secret(this, 'BridgeSecret', {
      description: 'HMAC secret shared by the Lambda jobs and the bridge',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    // Rotation with overlap (README: Rotating the bridge secrets): the operator copies the current secret
    // here, stores a new current one and restarts the task; the bridge then accepts both while the jobs'
    // cached copies of the old one expire. A second secret rather than one JSON secret with
    // current/previous keys: the existing secret keeps its plain format (no migration, the jobs' reader
    // unchanged), the jobs' grant stays on the one secret they sign with, and ECS injects whole strings,
    // so no missing JSON key can stop the task from starting. Until the first rotation it holds a random
    // value nobody signs with (a fixed placeholder would sit in the template and be accepted by the bridge).
    this.bridgeSecretPrevious = new secretsmanager.Secret(this, 'BridgeSecretPrevious', {
      description: 'The previous bridge HMAC secret, still accepted by the bridge during a rotation',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    this.bridgeOrderSecret = new secretsmanager.Secret(this, 'BridgeOrderSecret', {
      description:
        'HMAC secret of the bridge order routes, shared by execute-strategies, monitor and the bridge',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    this.bridgeOrderSecretPrevious = new secretsmanager.Secret(this, 'BridgeOrderSecretPrevious', {
      description: 'The previous bridge order-route secret, still accepted by the bridge during a rotation',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu,
      memoryLimitMiB: 2048,
      // Both containers run on this architecture: the gateway image is multi-platform, the bridge image is
      // built for it (bridgeImageAsset); a prebuilt `bridgeImage` must be of it too.
      runtimePlatform: {
        cpuArchitecture: GATEWAY_PLATFORMS[props.arch].cpuArchitecture,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });

    const gateway = this.taskDefinition.addContainer('ib-gateway', {
      image: ecs.ContainerImage.fromRegistry(ibGatewayImage()),
      essential: true,
      memoryReservationMiB: 1536,
      // Settings only; the same as gateway-container/ibc/gateway.env.template.
      environment: {
        TRADING_MODE: props.tradingMode,
        READ_ONLY_API: 'no',
        TWS_ACCEPT_INCOMING: 'reject',
        AUTO_RESTART_TIME,
        // IB's weekly full login at the trader's time: IBC's ColdRestartTime (IBC ≥ 3.19; the gnzsnz
        // image maps TWS_COLD_RESTART to it) closes the gateway on Sundays at this New York time (TZ below)
        // and starts it afresh, a full login with the IBKR Mobile push. The image does not map IBC's
        // ClosedownAt, the only other weekly setting.
        TWS_COLD_RESTART: weeklyLoginTime(props.weeklyLogin),
        TWOFA_TIMEOUT_ACTION: 'restart',
        RELOGIN_AFTER_TWOFA_TIMEOUT: 'yes',
        TWOFA_EXIT_INTERVAL: '60',
        EXISTING_SESSION_DETECTED_ACTION: 'primary',
        BYPASS_WARNING,
        JAVA_HEAP_SIZE: '768',
        TIME_ZONE,
        TZ: TIME_ZONE,
      },
      secrets: {
        TWS_USERID: ecs.Secret.fromSecretsManager(this.ibCredentials, 'username'),
        TWS_PASSWORD: ecs.Secret.fromSecretsManager(this.ibCredentials, 'password'),
      },
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'ib-gateway', logGroup }),
      // Writable root, deliberately. At every start the image writes into its own install tree: the
      // entrypoint edits ibgateway.vmoptions in place for JAVA_HEAP_SIZE (sed -i under
      // /home/ibgateway/Jts/ibgateway/<version>), renders IBC's config.ini beside IBC itself
      // (/home/ibgateway/ibc), and the gateway keeps jts.ini and its per-user settings under Jts. A volume
      // over those directories would hide the installed gateway and IBC (Fargate copies image content into
      // a volume only for paths the image declares as VOLUME, which this one does not), and moving them
      // (IBC_INI, TWS_SETTINGS_PATH) still leaves the in-place vmoptions edit; none of it can be tried
      // without running the image. The container has no port mapping and holds no AWS credentials.
      readonlyRootFilesystem: false,
      // No port mappings and no VNC_SERVER_PASSWORD: the API ports and VNC stay inside the task. No
      // health check either: a TCP probe succeeds while the gateway is logged out; the bridge's is real.
    });

    const bridge = this.taskDefinition.addContainer('bridge', {
      image: props.bridgeImage
        ? ecs.ContainerImage.fromRegistry(props.bridgeImage)
        : bridgeImageAsset(props.arch),
      essential: true,
      memoryReservationMiB: 256,
      environment: {
        IB_HOST: '127.0.0.1',
        IB_PORT: String(IB_API_PORT[props.tradingMode]),
        IB_CLIENT_ID: String(IB_CLIENT_ID),
        BRIDGE_HOST: '0.0.0.0',
        BRIDGE_PORT: String(BRIDGE_PORT),
        EVENT_BUS_NAME: props.eventBusName,
        IB_MARKET_DATA_TYPE: String(props.ibMarketDataType),
        IB_TIME_ZONE: TIME_ZONE,
        IB_RESTART_WINDOW: RESTART_WINDOW,
        // The bridge refuses orders when the account it is logged into is not of this mode.
        TRADING_MODE: props.tradingMode,
        BRIDGE_MAX_CONTRACTS_PER_ORDER: String(props.maxContractsPerOrder),
        BRIDGE_MAX_CONTRACTS_PER_DAY: String(props.maxContractsPerDay),
        BRIDGE_PRICE_BAND_WIDTH_FRACTION: String(BRIDGE_PRICE_BAND_WIDTH_FRACTION),
      },
      // Read when the task starts: a rotation takes effect on the bridge with the next task.
      secrets: {
        BRIDGE_SECRET: ecs.Secret.fromSecretsManager(this.bridgeSecret),
        BRIDGE_SECRET_PREVIOUS: ecs.Secret.fromSecretsManager(this.bridgeSecretPrevious),
        BRIDGE_ORDER_SECRET: ecs.Secret.fromSecretsManager(this.bridgeOrderSecret),
        BRIDGE_ORDER_SECRET_PREVIOUS: ecs.Secret.fromSecretsManager(this.bridgeOrderSecretPrevious),
      },
      // The bundle writes nothing; /tmp is a task volume for whatever Node or a library might put there
      // (Fargate has no tmpfs). Dockerfile.bridge declares it a VOLUME so it keeps its 1777 permissions
      // for the non-root user.
      readonlyRootFilesystem: true,
      portMappings: [{ containerPort: BRIDGE_PORT, protocol: ecs.Protocol.TCP }],
      logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'bridge', logGroup }),
      // Fargate ignores a Dockerfile HEALTHCHECK. This check says whether the bridge process is alive and
      // able to work, never whether IB is logged in: /health answers 503 only when the bridge is wedged
      // (its IB connection machine stopped), and a blocked event loop misses the 5 s timeout. ECS then
      // replaces the task. A login waiting for its second factor stays healthy: a replacement would be a
      // new cold login and a new push, a loop until someone approves. IB's login is the health-check
      // job's business (alerts, bounded restarts).
      healthCheck: {
        command: ['CMD', 'node', '-e', containerHealthProbe(BRIDGE_PORT)],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 5,
        startPeriod: Duration.seconds(300),
      },
    });
    this.taskDefinition.addVolume({ name: BRIDGE_TMP_VOLUME });
    bridge.addMountPoints({ sourceVolume: BRIDGE_TMP_VOLUME, containerPath: '/tmp', readOnly: false });
    bridge.addContainerDependencies({
      container: gateway,
      condition: ecs.ContainerDependencyCondition.START,
    });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: 1,
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      circuitBreaker: { enable: true, rollback: true },
      // Public subnet + public IP instead of a NAT gateway; the security group admits only the jobs.
      assignPublicIp: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroups: [props.network.bridgeSecurityGroup],
      // An A record of the task's private IP: Lambdas cannot use Service Connect, and an internal load
      // balancer would cost ≈ $16/month for one task. A short TTL so a replaced task is found quickly.
      cloudMapOptions: {
        cloudMapNamespace: this.namespace,
        name: BRIDGE_SERVICE_NAME,
        dnsRecordType: servicediscovery.DnsRecordType.A,
        dnsTtl: Duration.seconds(10),
      },
      enableExecuteCommand: false,
    });

    // What the rotation procedure (README) needs by name; fixed ids so the outputs read like the others.
    const output = (id: string, value: string, description: string): void => {
      new CfnOutput(this, id, { value, description }).overrideLogicalId(id);
    };
    output('BridgeSecretName', this.bridgeSecret.secretName, 'The HMAC secret the jobs sign with');
    output(
      'BridgeSecretPreviousName',
      this.bridgeSecretPrevious.secretName,
      'The previous HMAC secret, still accepted by the bridge (rotation)',
    );
    output(
      'BridgeOrderSecretName',
      this.bridgeOrderSecret.secretName,
      'The HMAC secret of the order routes (execute-strategies and monitor sign with it)',
    );
    output(
      'BridgeOrderSecretPreviousName',
      this.bridgeOrderSecretPrevious.secretName,
      'The previous order-route secret, still accepted by the bridge (rotation)',
    );
    output('GatewayClusterName', this.cluster.clusterName, 'The ECS cluster of the gateway service');
  }
}

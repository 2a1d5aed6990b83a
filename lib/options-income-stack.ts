// The whole system in one stack (the README's Architecture section): network, storage, alerts, the
// bridge's event bus, the gateway service, the jobs and their schedules, alarms. Environment-agnostic on
// purpose: it needs no account lookups, so `cdk synth` runs offline with no credentials.
import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { TABLE_IDS, tableOutputName } from '#adapters/dynamo/tables';
import { Alerts } from './alerts';
import { BridgeEvents } from './event-bus';
import { GatewayService } from './gateway-service';
import { Jobs } from './jobs';
import type { JobSpec } from './jobs-table';
import { Network } from './network';
import { Observability } from './observability';
import type { Settings } from './settings';
import { Storage } from './storage';

export interface OptionsIncomeStackProps extends StackProps {
  settings: Settings;
  /** Tests: a part of the job table, one small entry for every job. */
  jobs?: readonly JobSpec[];
  entryOverride?: string;
}

export class OptionsIncomeStack extends Stack {
  readonly network: Network;
  readonly storage: Storage;
  readonly alerts: Alerts;
  readonly bridgeEvents: BridgeEvents;
  readonly gateway: GatewayService;
  readonly jobs: Jobs;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: OptionsIncomeStackProps) {
    super(scope, id, props);
    const { settings } = props;
    this.network = new Network(this, 'Network', { egress: settings.egress });
    this.storage = new Storage(this, 'Storage');
    this.alerts = new Alerts(this, 'Alerts', { email: settings.alertEmail, phone: settings.alertPhone });
    this.bridgeEvents = new BridgeEvents(this, 'BridgeEvents');
    this.gateway = new GatewayService(this, 'Gateway', {
      network: this.network,
      tradingMode: settings.tradingMode,
      maxContractsPerOrder: settings.bridgeMaxContractsPerOrder,
      maxContractsPerDay: settings.bridgeMaxContractsPerDay,
      eventBusName: this.bridgeEvents.bus.eventBusName,
      cpu: settings.gatewayCpu,
      arch: settings.gatewayArch,
      bridgeImage: settings.bridgeImage,
      ibMarketDataType: settings.ibMarketDataType,
      weeklyLogin: settings.weeklyLogin,
    });
    this.bridgeEvents.grantPublish(this.gateway.taskDefinition.taskRole);
    this.jobs = new Jobs(this, 'Jobs', {
      network: this.network,
      storage: this.storage,
      alerts: this.alerts,
      gateway: this.gateway,
      bridgeEvents: this.bridgeEvents,
      ...(props.jobs ? { jobs: props.jobs } : {}),
      ...(props.entryOverride ? { entryOverride: props.entryOverride } : {}),
      gatewayHours: settings.gatewayHours,
    });
    this.observability = new Observability(this, 'Observability', {
      network: this.network,
      alerts: this.alerts,
      jobs: this.jobs,
      gateway: this.gateway,
    });

    new CfnOutput(this, 'TradingMode', { value: settings.tradingMode });
    new CfnOutput(this, 'IbCredentialsSecretName', {
      value: this.gateway.ibCredentials.secretName,
      description: 'Store the IB login here after the first deploy: {"username":"...","password":"..."}',
    });
    new CfnOutput(this, 'AlertTopicArn', { value: this.alerts.topic.topicArn });
    new CfnOutput(this, 'ConfigTableName', {
      value: this.storage.tables.config.tableName,
      description: 'The config items (one per section), validated on every read',
    });
    // Every other table's name too: `npm run report -- --aws` finds the tables it reads through these.
    for (const id of TABLE_IDS.filter((table) => table !== 'config')) {
      new CfnOutput(this, tableOutputName(id), {
        value: this.storage.tables[id].tableName,
        description: `DynamoDB table: ${id}`,
      });
    }
    new CfnOutput(this, 'GatewayServiceName', { value: this.gateway.service.serviceName });
  }
}

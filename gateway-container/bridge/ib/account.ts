// Account and positions: the account summary, position snapshots, and the PositionChanged events
// (each snapshot is compared with the one before).

import type { Contract } from '@stoqey/ib';
import { EventName } from '@stoqey/ib';
import { accountMode } from '#core/entry';
import type { AccountResponse, PositionView } from '../contract';
import { BridgeError } from '../errors';
import { CANCEL_PRIORITY, ORDER_PRIORITY } from '../pacer';
import { numericStringOrAbsent } from '../sentinels';
import { contractView } from './parsing/instruments';
import type { IbRequests } from './requests';

const SUMMARY_TAGS = [
  'NetLiquidation',
  'BuyingPower',
  'AvailableFunds',
  'ExcessLiquidity',
  'TotalCashValue',
  'InitMarginReq',
  'MaintMarginReq',
];

export class AccountAndPositions {
  private positionsBaseline: Map<string, PositionView> | undefined;
  private positionsRefreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly req: IbRequests) {
    req.conn.on('ready', () => {
      // a baseline of positions at every (re)connection: changes made while the bridge was away are
      // published on the next snapshot, and the first fill after start has something to compare with
      this.positionSnapshot(15).catch((err: unknown) =>
        req.logger.warn('position baseline failed', { error: String(err) }),
      );
    });
  }

  close(): void {
    if (this.positionsRefreshTimer) clearTimeout(this.positionsRefreshTimer);
  }

  account(priority: number): Promise<AccountResponse> {
    return this.req.singleFlight('account', async () => {
      const rows: { account: string; tag: string; value: string; currency: string }[] = [];
      await this.req.request<void>({
        label: 'reqAccountSummary',
        priority,
        send: (api, reqId) => api.reqAccountSummary(reqId, 'All', SUMMARY_TAGS.join(',')),
        onEvent: (event, args, done) => {
          if (event === EventName.accountSummary) {
            rows.push({
              account: args[1] as string,
              tag: args[2] as string,
              value: args[3] as string,
              currency: args[4] as string,
            });
          } else if (event === EventName.accountSummaryEnd) done();
        },
        cancel: (api, reqId) => api.cancelAccountSummary(reqId),
      });
      const accountId = this.req.conn.accounts[0] ?? rows[0]?.account;
      if (!accountId) throw new BridgeError('NO_ACCOUNT', 'IB reported no managed account', 502, true);
      const value = (tag: string): number | undefined =>
        numericStringOrAbsent(rows.find((r) => r.account === accountId && r.tag === tag)?.value);
      const required = (tag: string): number => {
        const v = value(tag);
        if (v === undefined)
          throw new BridgeError('INCOMPLETE_ACCOUNT', `IB sent no ${tag} for the account`, 502, true);
        return v;
      };
      return {
        accountId,
        tradingMode: accountMode(accountId),
        currency: rows.find((r) => r.account === accountId && r.tag === 'NetLiquidation')?.currency || 'USD',
        netLiquidation: required('NetLiquidation'),
        buyingPower: required('BuyingPower'),
        availableFunds: required('AvailableFunds'),
        excessLiquidity: required('ExcessLiquidity'),
        totalCashValue: value('TotalCashValue'),
        initMarginReq: value('InitMarginReq'),
        maintMarginReq: value('MaintMarginReq'),
      };
    });
  }

  /** Positions IB holds (non-zero only). Every snapshot also feeds the PositionChanged events. */
  async positions(priority: number): Promise<PositionView[]> {
    const all = await this.positionSnapshot(priority);
    return [...all.values()].filter((p) => p.quantity !== 0);
  }

  /** After fills, look at positions again (debounced) so PositionChanged follows every change. */
  schedulePositionRefresh(): void {
    if (this.positionsRefreshTimer) return;
    this.positionsRefreshTimer = setTimeout(() => {
      this.positionsRefreshTimer = undefined;
      this.positionSnapshot(ORDER_PRIORITY + 1).catch((err: unknown) =>
        this.req.logger.warn('position refresh failed', { error: String(err) }),
      );
    }, 250);
  }

  private positionSnapshot(priority: number): Promise<Map<string, PositionView>> {
    return this.req.singleFlight('positions', () => {
      // positions are not keyed by request id: collect the broadcast events until positionEnd
      const rows = new Map<string, PositionView>();
      const onPosition = (account: string, contract: Contract, pos: number, avgCost?: number): void => {
        const view: PositionView = {
          account,
          contract: contractView(contract),
          quantity: pos,
          averageCost: avgCost ?? 0,
        };
        rows.set(`${account}|${contract.conId}`, view);
      };
      return this.req.collect({
        label: 'reqPositions',
        priority,
        endEvent: EventName.positionEnd,
        listeners: [[EventName.position, onPosition]],
        send: (api) => api.reqPositions(),
        end: () => {
          try {
            this.req.conn.send(CANCEL_PRIORITY, 'cancelPositions', (api) => api.cancelPositions());
          } catch {
            // disconnected: nothing to cancel
          }
          this.diffPositions(rows);
          return rows;
        },
      });
    });
  }

  private diffPositions(current: Map<string, PositionView>): void {
    const before = this.positionsBaseline;
    this.positionsBaseline = new Map(current);
    if (!before) return; // the first snapshot only sets the baseline
    const keys = new Set([...before.keys(), ...current.keys()]);
    for (const key of keys) {
      const was = before.get(key);
      const now = current.get(key);
      const previousQuantity = was?.quantity ?? 0;
      const quantity = now?.quantity ?? 0;
      if (previousQuantity === quantity) continue;
      const ref = (now ?? was)!;
      this.req.publish({
        type: 'PositionChanged',
        detail: {
          account: ref.account,
          contract: ref.contract,
          previousQuantity,
          quantity,
          averageCost: now?.averageCost ?? 0,
          time: this.req.clock.now(),
        },
      });
    }
  }
}

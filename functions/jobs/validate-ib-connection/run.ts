// validate-ib-connection (08:45 ET): before the trading day, is the bridge connected to the right IB
// account with the data we need?
//
//   1. GET /health: the bridge's connection state and IB's data farms;
//   2. GET /account: trading mode. Paper account ids start with "DU"; a mode that differs from the
//      config's is CRITICAL (execute-strategies refuses to trade on it: trading must stop until fixed);
//   3. one quote of the first underlying: IB error 354 (not subscribed) or 10167/10168 (delayed data
//      shown) means the scores would run on missing or delayed data: WARNING;
//   4. IB's liquidHours for that underlying against our calendar, for every day IB lists (about a week):
//      a holiday or early close one side does not know is a WARNING naming both sessions (trading rules:
//      "cross-check each day against IB's liquidHours and alert when they disagree").
import type { AccountResponse, HealthResponse } from '../../../gateway-container/bridge/contract';
import type { RunContext, RunOutcome } from '../shared/define-job';
import type { IbDayHours } from '../../core/calendar';
import { compareWithIbHours, parseIbLiquidHours } from '../../core/calendar';
import { accountMode } from '../../core/entry';
import { stockQuoteRequest } from '../shared/quotes';

export type ValidateInput = Record<string, never>;

/** IB codes meaning the account lacks real-time market data for the contract. */
export const PERMISSION_ERRORS: Readonly<Record<number, string>> = {
  354: 'not subscribed to market data',
  10089: 'market data requires additional subscription (API)',
  10090: 'part of the requested market data is not subscribed',
  10167: 'delayed market data shown (no real-time subscription)',
  10168: 'delayed market data not enabled either',
};

export interface ModeCheck {
  ok: boolean;
  configured: 'paper' | 'live';
  account: 'paper' | 'live';
  reason: string;
}

/** Config mode against the account id (and what the bridge reports, which must agree with the id). */
export function checkTradingMode(configured: 'paper' | 'live', account: AccountResponse): ModeCheck {
  const byId = accountMode(account.accountId);
  if (account.tradingMode !== byId) {
    return {
      ok: false,
      configured,
      account: byId,
      reason: `account ${account.accountId} looks ${byId} but the bridge reports ${account.tradingMode}`,
    };
  }
  return byId === configured
    ? { ok: true, configured, account: byId, reason: `${configured} account ${account.accountId}` }
    : {
        ok: false,
        configured,
        account: byId,
        reason: `config says ${configured} but IB account ${account.accountId} is ${byId}`,
      };
}

/** Farms that are not ok, as `usfarm: broken`. */
export function farmProblems(health: HealthResponse): string[] {
  return Object.entries(health.farms)
    .filter(([, status]) => status === 'broken')
    .map(([farm, status]) => `${farm}: ${status}`);
}

export async function runValidateIbConnection(_input: ValidateInput, ctx: RunContext): Promise<RunOutcome> {
  const reasons: string[] = [];
  const problems: { severity: 'WARNING' | 'CRITICAL'; text: string }[] = [];
  const details: Record<string, unknown> = {};

  let health: HealthResponse | undefined;
  try {
    health = await ctx.bridge.health();
    details.health = { status: health.status, state: health.state, farms: health.farms };
    reasons.push(`bridge ${health.status} (${health.state})${health.reason ? `: ${health.reason}` : ''}`);
    if (health.status !== 'ok' || !health.ibConnected) {
      // Degraded but connected (a farm or a reconnect in progress) can still trade; down cannot.
      problems.push({
        severity: health.status === 'down' || !health.ibConnected ? 'CRITICAL' : 'WARNING',
        text: `bridge ${health.status}, IB ${health.ibConnected ? 'connected' : 'not connected'}${health.reason ? ` (${health.reason})` : ''}`,
      });
    }
    const farms = farmProblems(health);
    if (farms.length > 0)
      problems.push({ severity: 'WARNING', text: `data farms broken: ${farms.join(', ')}` });
  } catch (error) {
    problems.push({ severity: 'CRITICAL', text: `bridge unreachable: ${messageOf(error)}` });
  }

  let mode: ModeCheck | undefined;
  try {
    const account = await ctx.bridge.account();
    mode = checkTradingMode(ctx.config.trading.mode, account);
    details.account = { accountId: account.accountId, tradingMode: account.tradingMode };
    reasons.push(`trading mode: ${mode.reason}`);
    if (!mode.ok) {
      await ctx.alert({
        subject: 'account',
        rule: 'trading-mode',
        severity: 'CRITICAL',
        title: `Trading mode mismatch: ${mode.configured} vs ${mode.account}`,
        message: `${mode.reason}. Trading must stop: no orders until the config or the gateway login is fixed.`,
      });
    }
  } catch (error) {
    problems.push({ severity: 'CRITICAL', text: `account not readable: ${messageOf(error)}` });
  }

  const symbol = ctx.config.universe.underlyings[0]!;
  let permission: string;
  try {
    const [quote] = await ctx.bridge.quotes([stockQuoteRequest(symbol)]);
    const code = quote?.error ? Number(quote.error.code) : undefined;
    if (code !== undefined && PERMISSION_ERRORS[code]) {
      permission = `IB error ${code}: ${PERMISSION_ERRORS[code]}`;
      problems.push({ severity: 'WARNING', text: `${symbol} market data: ${permission}` });
    } else if (quote?.error) {
      permission = `IB error ${quote.error.code}: ${quote.error.message}`;
      problems.push({ severity: 'WARNING', text: `${symbol} quote refused: ${permission}` });
    } else if (quote?.delayed) {
      permission = 'delayed market data (no real-time subscription)';
      problems.push({ severity: 'WARNING', text: `${symbol} market data: ${permission}` });
    } else if (quote?.bid === undefined && quote?.last === undefined) {
      permission = 'no price in the quote';
      problems.push({ severity: 'WARNING', text: `${symbol} quote has no price (permissions or data farm)` });
    } else {
      permission = 'real-time quote received';
    }
  } catch (error) {
    permission = `quote failed: ${messageOf(error)}`;
    problems.push({ severity: 'WARNING', text: `${symbol} ${permission}` });
  }
  reasons.push(`${symbol} market data: ${permission}`);
  const hours = await checkLiquidHours(ctx, symbol);
  if (hours.problem) problems.push({ severity: 'WARNING', text: hours.problem });
  reasons.push(`liquidHours: ${hours.summary}`);
  details.liquidHours = hours.summary;

  for (const severity of ['CRITICAL', 'WARNING'] as const) {
    const list = problems.filter((p) => p.severity === severity).map((p) => p.text);
    if (list.length === 0) continue;
    await ctx.alert({
      subject: 'ib-connection',
      rule: 'validate-ib-connection',
      severity,
      title: `IB connection: ${list.length} problem(s)`,
      message: `validate-ib-connection ${ctx.tradeDate}: ${list.join('; ')}.`,
    });
  }
  reasons.push(...problems.map((p) => `${p.severity}: ${p.text}`));
  const ok = problems.length === 0 && mode?.ok === true;
  return {
    did: ok
      ? `IB connection valid: ${mode?.reason}, farms ok, ${symbol} data ok, session hours agree`
      : `IB connection has ${problems.length + (mode && !mode.ok ? 1 : 0)} problem(s)${mode && !mode.ok ? ': TRADING MODE MISMATCH, trading must stop' : ''}`,
    counts: {
      problems: problems.length,
      critical: problems.filter((p) => p.severity === 'CRITICAL').length + (mode && !mode.ok ? 1 : 0),
      warnings: problems.filter((p) => p.severity === 'WARNING').length,
    },
    reasons,
    details: { ...details, tradingModeOk: mode?.ok ?? false, marketData: permission },
    ok,
  };
}

/** IB's liquidHours for `symbol` against the config's calendar: a summary, and the problem if any. */
export async function checkLiquidHours(
  ctx: Pick<RunContext, 'bridge' | 'config'>,
  symbol: string,
): Promise<{ summary: string; problem?: string }> {
  let sessions: IbDayHours[];
  try {
    const hours = await ctx.bridge.tradingHours(symbol);
    sessions = parseIbLiquidHours(hours.liquidHours, hours.timeZoneId);
  } catch (error) {
    const summary = `not checked: ${messageOf(error)}`;
    return { summary, problem: `${symbol} liquidHours ${summary}` };
  }
  if (sessions.length === 0) {
    return { summary: 'IB listed no days', problem: `${symbol} liquidHours: IB listed no days to compare` };
  }
  const span = `${sessions[0]!.date}..${sessions.at(-1)!.date}`;
  const disagreements = compareWithIbHours(sessions, ctx.config.calendar);
  if (disagreements.length === 0) {
    return { summary: `${symbol} agrees with our calendar on ${sessions.length} day(s), ${span}` };
  }
  const list = disagreements.map((d) => `${d.date} ours ${d.ours}, IB ${d.ib}`).join('; ');
  return {
    summary: `${symbol} disagrees on ${disagreements.length} of ${sessions.length} day(s): ${list}`,
    problem:
      `${symbol} liquidHours disagree with our calendar (${list}): check calendar.holidays / ` +
      `calendar.earlyCloses in the config`,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

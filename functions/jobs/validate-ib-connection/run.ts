// validate-ib-connection (08:45 ET): before the trading day, is the bridge connected to the right IB
// account with the data we need?
//
//   1. GET /health: the bridge's connection state and IB's data farms;
//   2. GET /account: trading mode. Paper account ids start with "DU"; a mode that differs from the
//      config's is CRITICAL (execute-strategies refuses to trade on it: trading must stop until fixed);
//   3. a quote of every underlying (core/market-data.ts): real-time, delayed (10167), not subscribed
//      (354, 10089) or blocked by a competing session (10197); all but real-time are CRITICAL, naming
//      the subscription or session to fix, an hour before the 09:45 analysis;
//   3b. one option of every underlying (a put near the money): the same classification for US options
//      data (OPRA); a missing subscription is CRITICAL before the analysis, not "no valid contracts";
//   4. IB's liquidHours for that underlying against our calendar, for every day IB lists (about a week):
//      a holiday or early close one side does not know is a WARNING naming both sessions (trading rules:
//      "cross-check each day against IB's liquidHours and alert when they disagree").
import type { BrokerAccount, BridgeHealth } from '#adapters/bridge-client';
import type { RunContext, RunOutcome } from '../shared/define-job';
import type { IbDayHours } from '#core/calendar';
import { compareWithIbHours, parseIbLiquidHours } from '#core/calendar';
import { accountMode } from '#core/entry';
import { accessProblem, optionProbe, quoteAccess } from '#core/market-data';
import type { OptionContract } from '#core/types';
import { optionQuoteRequest, stockQuoteRequest } from '../shared/quotes';
import { errorMessage } from '../shared/errors';

export type ValidateInput = Record<string, never>;

type Problem = { severity: 'WARNING' | 'CRITICAL'; text: string };

/**
 * One option of every underlying (core/market-data.ts optionProbe): US options quotes are OPRA's, a
 * subscription apart from the stock's, and the analysis needs them. Before the open an option may have
 * no price at all; that alone is not judged (the errors IB sends for missing data come regardless).
 */
async function checkOptionData(
  ctx: RunContext,
  underlyings: readonly string[],
): Promise<{ bySymbol: Record<string, string>; problems: Problem[] }> {
  const bySymbol: Record<string, string> = {};
  const problems: Problem[] = [];
  try {
    const probes = await Promise.all(
      underlyings.map(async (u) => optionProbe(u, await ctx.bridge.chain(u), ctx.tradeDate)),
    );
    const asked = probes.filter((p): p is OptionContract => p !== undefined);
    const quotes = asked.length > 0 ? await ctx.bridge.quotes(asked.map(optionQuoteRequest)) : [];
    underlyings.forEach((u, i) => {
      const probe = probes[i];
      if (!probe) {
        bySymbol[u] = 'no option listed in the chain';
        problems.push({
          severity: 'WARNING',
          text: `${u} options data: the chain lists no expiry or strike`,
        });
        return;
      }
      const name = `${probe.expiry} P${probe.strike}`;
      const { access, label } = quoteAccess(quotes[asked.indexOf(probe)]);
      if (access === 'no-price') {
        bySymbol[u] = `${name}: no price yet (not judged)`;
        return;
      }
      bySymbol[u] = `${name}: ${label}`;
      const problem = accessProblem(access, 'OPT');
      if (problem)
        problems.push({
          severity: problem.severity,
          text: `${u} options data (${name}): ${label}: ${problem.remedy}`,
        });
    });
  } catch (error) {
    for (const u of underlyings) bySymbol[u] ??= `not checked: ${errorMessage(error)}`;
    problems.push({ severity: 'WARNING', text: `options data not checked: ${errorMessage(error)}` });
  }
  return { bySymbol, problems };
}

export interface ModeCheck {
  ok: boolean;
  configured: 'paper' | 'live';
  account: 'paper' | 'live';
  reason: string;
}

/** Config mode against the account id (and what the bridge reports, which must agree with the id). */
export function checkTradingMode(configured: 'paper' | 'live', account: BrokerAccount): ModeCheck {
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
export function farmProblems(health: BridgeHealth): string[] {
  return Object.entries(health.farms)
    .filter(([, status]) => status === 'broken')
    .map(([farm, status]) => `${farm}: ${status}`);
}

export async function runValidateIbConnection(_input: ValidateInput, ctx: RunContext): Promise<RunOutcome> {
  const reasons: string[] = [];
  const problems: Problem[] = [];
  const details: Record<string, unknown> = {};

  let health: BridgeHealth | undefined;
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
    problems.push({ severity: 'CRITICAL', text: `bridge unreachable: ${errorMessage(error)}` });
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
    problems.push({ severity: 'CRITICAL', text: `account not readable: ${errorMessage(error)}` });
  }

  // Every underlying: what its quote says about the account's market data, and what to fix.
  const underlyings = ctx.config.universe.underlyings;
  const symbol = underlyings[0]!;
  const quotesBySymbol: Record<string, string> = {};
  try {
    const quotes = await ctx.bridge.quotes(underlyings.map((u) => stockQuoteRequest(u)));
    underlyings.forEach((u, i) => {
      const { access, label } = quoteAccess(quotes[i]);
      quotesBySymbol[u] = label;
      const problem = accessProblem(access, 'STK');
      if (problem)
        problems.push({ severity: problem.severity, text: `${u} market data: ${label}: ${problem.remedy}` });
    });
  } catch (error) {
    for (const u of underlyings) quotesBySymbol[u] = `quote failed: ${errorMessage(error)}`;
    problems.push({
      severity: 'WARNING',
      text: `market data not checked: quote failed: ${errorMessage(error)}`,
    });
  }
  const permission = quotesBySymbol[symbol]!;
  details.quotes = quotesBySymbol;
  reasons.push(`market data: ${underlyings.map((u) => `${u} ${quotesBySymbol[u]}`).join(', ')}`);
  const options = await checkOptionData(ctx, underlyings);
  problems.push(...options.problems);
  details.optionQuotes = options.bySymbol;
  reasons.push(`options data: ${underlyings.map((u) => `${u} ${options.bySymbol[u]}`).join(', ')}`);
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
    const summary = `not checked: ${errorMessage(error)}`;
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

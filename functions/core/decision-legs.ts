// The position's legs as the rules see them (mid, delta, intrinsic and extrinsic value, distance from
// spot, breach) and the leg-level tests of rule 5 (breach) and rule 6 (assignment risk).
import { calendarDaysBetween } from './calendar';
import { mid } from './chain';
import { fmt } from './decision-table';
import { bsGreeks } from './pricing';
import { STRATEGIES } from './strategies/registry';
import type { IsoDate, OptionQuote, PositionLeg, Right, StrategyPosition } from './types';

/** What the rules know about one leg. */
export interface LegView extends ShortLegState {
  leg: PositionLeg;
  /** `shortP580`, `longC625`: names leg numbers in `inputs` and legs in reasons. */
  name: string;
  short: boolean;
  quote: OptionQuote;
  mid: number;
  /** Quote delta, else Black-Scholes from the quote's IV; undefined when neither is available. */
  delta: number | undefined;
  intrinsic: number;
  /** |spot − strike| as % of spot. */
  distancePct: number;
  /** A short leg with spot beyond its strike (below a put, above a call); iron butterfly: its breakeven. */
  breached: boolean;
}

export function legName(leg: PositionLeg): string {
  return `${leg.quantity < 0 ? 'short' : 'long'}${leg.contract.right}${leg.contract.strike}`;
}

/** Rule 5 per the position's strategy module: at the breakevens (iron butterfly) or the short strikes. */
export function breachesAtBreakevens(position: StrategyPosition): boolean {
  return STRATEGIES.find((s) => s.kind === position.strategy)?.breach === 'atBreakevens';
}

/** Spot beyond a short leg's strike by more than `margin` per share (0: beyond the strike itself). */
export function beyondBreach(leg: PositionLeg, spot: number, margin: number): boolean {
  const { strike, right } = leg.contract;
  return right === 'P' ? spot < strike - margin : spot > strike + margin;
}

export function breachText(leg: PositionLeg, margin: number): string {
  if (margin === 0) return legName(leg);
  const level = leg.contract.right === 'P' ? leg.contract.strike - margin : leg.contract.strike + margin;
  return `the breakeven ${fmt(level)} of ${legName(leg)}`;
}

export function viewLeg(
  leg: PositionLeg,
  quote: OptionQuote,
  spot: number,
  years: number,
  rate: number,
  breachMargin: number,
): LegView {
  const { strike, right } = leg.contract;
  const short = leg.quantity < 0;
  const legMid = mid(quote);
  const intrinsic = right === 'P' ? Math.max(0, strike - spot) : Math.max(0, spot - strike);
  const beyond = right === 'P' ? spot < strike : spot > strike;
  return {
    leg,
    name: legName(leg),
    right,
    short,
    quote,
    mid: legMid,
    delta: legDelta(quote, spot, years, rate),
    intrinsic,
    extrinsic: legMid - intrinsic,
    itm: beyond,
    distancePct: (Math.abs(spot - strike) / spot) * 100,
    breached: short && beyondBreach(leg, spot, breachMargin),
  };
}

function legDelta(quote: OptionQuote, spot: number, years: number, rate: number): number | undefined {
  if (quote.delta !== undefined && Number.isFinite(quote.delta)) return quote.delta;
  const vol = quote.iv;
  if (vol === undefined || !Number.isFinite(vol) || vol <= 0) return undefined;
  try {
    const { delta } = bsGreeks({
      right: quote.contract.right,
      spot,
      strike: quote.contract.strike,
      years,
      rate,
      vol,
    });
    return Number.isFinite(delta) ? delta : undefined;
  } catch {
    // Inputs the model rejects (a non-positive strike in a corrupt record) leave delta unknown.
    return undefined;
  }
}

/** What `assignmentRisks` needs of a short leg. */
export interface ShortLegState {
  /** Leg name for the reason, e.g. `shortC620`. */
  name: string;
  right: Right;
  itm: boolean;
  /** Option mid − intrinsic value, per share. */
  extrinsic: number;
}

/**
 * Rule 6: the short legs at risk of early assignment, each as a sentence. Holders of an ITM call
 * exercise before the ex-date when the dividend exceeds the time value they give up (so only while the
 * ex-date is still ahead and falls before expiry); any ITM short with almost no time value left
 * (< assignmentExtrinsicUsd) can be exercised at any time.
 */
export function assignmentRisks(
  shorts: readonly ShortLegState[],
  ctx: {
    tradeDate: IsoDate;
    expiry: IsoDate;
    nextDividend?: { exDate: IsoDate; amount: number } | undefined;
    assignmentExtrinsicUsd: number;
  },
): string[] {
  const dividend = ctx.nextDividend;
  // ISO dates compare in time order as strings.
  const dividendAhead =
    dividend !== undefined && ctx.tradeDate < dividend.exDate && dividend.exDate <= ctx.expiry;
  const risks: string[] = [];
  for (const leg of shorts) {
    if (!leg.itm) continue;
    if (dividendAhead && leg.right === 'C' && leg.extrinsic < dividend.amount) {
      risks.push(
        `${leg.name} ITM with extrinsic ${fmt(leg.extrinsic)} < dividend ${fmt(dividend.amount)} (ex-date ${dividend.exDate})`,
      );
    } else if (leg.extrinsic < ctx.assignmentExtrinsicUsd) {
      risks.push(`${leg.name} ITM with extrinsic ${fmt(leg.extrinsic)} < ${fmt(ctx.assignmentExtrinsicUsd)}`);
    }
  }
  return risks;
}

/**
 * The next ex-dividend of an underlying after `tradeDate` from the config's list (`exits.exDividends`),
 * or undefined. The ex-date itself is too late for an early exercise to collect the dividend.
 */
export function nextExDividend(
  dividends: readonly { exDate: IsoDate; amount: number }[] | undefined,
  tradeDate: IsoDate,
): { exDate: IsoDate; amount: number } | undefined {
  // ISO dates compare in time order as strings.
  return (dividends ?? [])
    .filter((d) => d.exDate > tradeDate)
    .reduce<{ exDate: IsoDate; amount: number } | undefined>(
      (a, d) => (a && a.exDate <= d.exDate ? a : d),
      undefined,
    );
}

/** Calendar days from `from` to `date`, or undefined for a string that is not a date. */
export function daysUntil(from: IsoDate, date: IsoDate): number | undefined {
  try {
    return calendarDaysBetween(from, date);
  } catch {
    return undefined;
  }
}

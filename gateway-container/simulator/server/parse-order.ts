// PLACE_ORDER and CANCEL_ORDER, parsed by position exactly as @stoqey/ib 1.6.10's encoder writes them at
// server version 193 (dist/core/io/encoder.js); split from parse.ts, which re-exports them.

import { readContract, type WireContract } from './parse-contract';
import type { FieldReader } from './wire';

/** The order fields the simulator uses or echoes back in OPEN_ORDER. */
export interface WireOrder {
  orderId: number;
  action: string;
  totalQuantity: number;
  orderType: string;
  lmtPrice?: number;
  auxPrice?: number;
  tif: string;
  ocaGroup: string;
  account: string;
  openClose: string;
  origin: number;
  orderRef: string;
  transmit: boolean;
  parentId: number;
  outsideRth: boolean;
  hidden: boolean;
  orderComboLegPrices: (number | undefined)[];
  goodAfterTime: string;
  goodTillDate: string;
  whatIf: boolean;
  algoStrategy: string;
  /** Fields left over after the last one this version defines (should be 0). */
  trailing: number;
}

/** At ≥ CME_TAGGING_FIELDS: `4, orderId, manualOrderCancelTime, extOperator, manualOrderIndicator` */
export function parseCancelOrder(r: FieldReader): { orderId: number } {
  const orderId = r.int('orderId');
  r.str('manualOrderCancelTime');
  r.str('extOperator');
  r.str('manualOrderIndicator');
  return { orderId };
}

/**
 * PLACE_ORDER at server version 193 (no version field since ORDER_CONTAINER). Every field the encoder
 * writes is consumed in order, including the ones that only appear when an earlier field is set
 * (delta-neutral, scale, hedge, algo, conditions, peg orders), so `trailing` is 0 for a well-formed message.
 */
export function parsePlaceOrder(r: FieldReader): { contract: WireContract; order: WireOrder } {
  const orderId = r.int('orderId');
  const contract = readContract(r);
  r.str('secIdType');
  r.str('secId');
  const action = r.str('action').toUpperCase();
  const totalQuantity = Number(r.str('totalQuantity') || '0');
  const orderType = r.str('orderType').toUpperCase();
  const lmtPrice = r.doubleOrUndefined('lmtPrice');
  const auxPrice = r.doubleOrUndefined('auxPrice');
  const tif = r.str('tif');
  const ocaGroup = r.str('ocaGroup');
  const account = r.str('account');
  const openClose = r.str('openClose');
  const origin = r.int('origin');
  const orderRef = r.str('orderRef');
  const transmit = r.str('transmit');
  const parentId = r.int('parentId');
  r.str('blockOrder');
  r.str('sweepToFill');
  r.str('displaySize');
  r.str('triggerMethod');
  const outsideRth = r.bool('outsideRth');
  const hidden = r.bool('hidden');

  const orderComboLegPrices: (number | undefined)[] = [];
  if (contract.secType === 'BAG') {
    const nLegs = r.int('nComboLegs');
    contract.comboLegs = [];
    for (let i = 0; i < nLegs; i++) {
      contract.comboLegs.push({
        conId: r.int('leg conId'),
        ratio: r.int('leg ratio'),
        action: r.str('leg action').toUpperCase(),
        exchange: r.str('leg exchange'),
        openClose: r.int('leg openClose'),
        shortSaleSlot: r.int('leg shortSaleSlot'),
        designatedLocation: r.str('leg designatedLocation'),
        exemptCode: r.int('leg exemptCode'),
      });
    }
    const nOrderLegs = r.int('nOrderComboLegs');
    for (let i = 0; i < nOrderLegs; i++)
      orderComboLegPrices.push(r.doubleOrUndefined('order combo leg price'));
    const nParams = r.int('nSmartComboRoutingParams');
    for (let i = 0; i < nParams; i++) {
      r.str();
      r.str();
    }
  }

  r.str('sharesAllocation');
  r.str('discretionaryAmt');
  const goodAfterTime = r.str('goodAfterTime');
  const goodTillDate = r.str('goodTillDate');
  r.str('faGroup');
  r.str('faMethod');
  r.str('faPercentage');
  r.str('modelCode');
  r.str('shortSaleSlot');
  r.str('designatedLocation');
  r.str('exemptCode');
  r.str('ocaType');
  r.str('rule80A');
  r.str('settlingFirm');
  r.str('allOrNone');
  r.str('minQty');
  r.str('percentOffset');
  r.str('eTradeOnly');
  r.str('firmQuoteOnly');
  r.str('nbboPriceCap');
  r.str('auctionStrategy');
  r.str('startingPrice');
  r.str('stockRefPrice');
  r.str('delta');
  r.str('stockRangeLower');
  r.str('stockRangeUpper');
  r.str('overridePercentageConstraints');
  r.str('volatility');
  r.str('volatilityType');
  const deltaNeutralOrderType = r.str('deltaNeutralOrderType');
  r.str('deltaNeutralAuxPrice');
  if (deltaNeutralOrderType !== '') {
    for (let i = 0; i < 8; i++) r.str('delta-neutral field');
  }
  r.str('continuousUpdate');
  r.str('referencePriceType');
  r.str('trailStopPrice');
  r.str('trailingPercent');
  r.str('scaleInitLevelSize');
  r.str('scaleSubsLevelSize');
  const scalePriceIncrement = r.str('scalePriceIncrement');
  if (scalePriceIncrement !== '') {
    for (let i = 0; i < 7; i++) r.str('scale field');
  }
  r.str('scaleTable');
  r.str('activeStartTime');
  r.str('activeStopTime');
  const hedgeType = r.str('hedgeType');
  if (hedgeType !== '') r.str('hedgeParam');
  r.str('optOutSmartRouting');
  r.str('clearingAccount');
  r.str('clearingIntent');
  r.str('notHeld');
  if (r.bool('deltaNeutralContract flag')) {
    r.str();
    r.str();
    r.str();
  }
  const algoStrategy = r.str('algoStrategy');
  if (algoStrategy !== '') {
    const n = r.int('algoParams count');
    for (let i = 0; i < n; i++) {
      r.str();
      r.str();
    }
  }
  r.str('algoId');
  const whatIf = r.bool('whatIf');
  r.str('orderMiscOptions');
  r.str('solicited');
  r.str('randomizeSize');
  r.str('randomizePrice');
  if (orderType === 'PEG BENCH' || orderType === 'PEGBENCH') {
    for (let i = 0; i < 5; i++) r.str('peg bench field');
  }
  const nConditions = r.int('conditions count');
  if (nConditions > 0) {
    for (let i = 0; i < nConditions; i++) {
      const type = r.int('condition type');
      r.str('conjunction');
      // Field counts per condition type, as the encoder writes them.
      const extra = { 1: 5, 3: 2, 4: 2, 5: 3, 6: 4, 7: 4 }[type] ?? 0;
      for (let j = 0; j < extra; j++) r.str('condition field');
    }
    r.str('conditionsIgnoreRth');
    r.str('conditionsCancelOrder');
  }
  for (let i = 0; i < 7; i++) r.str('adjusted order field');
  r.str('extOperator');
  r.str('softDollarTier name');
  r.str('softDollarTier value');
  r.str('cashQty');
  r.str('mifid2DecisionMaker');
  r.str('mifid2DecisionAlgo');
  r.str('mifid2ExecutionTrader');
  r.str('mifid2ExecutionAlgo');
  r.str('dontUseAutoPriceForHedge');
  r.str('isOmsContainer');
  r.str('discretionaryUpToLimitPrice');
  r.str('usePriceMgmtAlgo');
  r.str('duration');
  r.str('postToAts');
  r.str('autoCancelParent');
  r.str('advancedErrorOverride');
  r.str('manualOrderTime');
  if (contract.exchange === 'IBKRATS') r.str('minTradeQty');
  if (orderType === 'PEG BEST' || orderType === 'PEGBEST') {
    r.str('minCompeteSize');
    const competeAgainstBestOffset = r.str('competeAgainstBestOffset');
    if (competeAgainstBestOffset === 'Infinity') {
      r.str('midOffsetAtWhole');
      r.str('midOffsetAtHalf');
    }
  } else if (orderType === 'PEG MID' || orderType === 'PEGMID') {
    r.str('midOffsetAtWhole');
    r.str('midOffsetAtHalf');
  }
  r.str('customerAccount');
  r.str('professionalCustomer');
  r.str('includeOvernight');
  r.str('manualOrderIndicator');

  return {
    contract,
    order: {
      orderId,
      action,
      totalQuantity: Number.isFinite(totalQuantity) ? totalQuantity : 0,
      orderType,
      lmtPrice,
      auxPrice,
      tif,
      ocaGroup,
      account,
      openClose,
      origin,
      orderRef,
      // Left unset, the client writes an empty field; IB treats that as "transmit".
      transmit: transmit === '' ? true : transmit !== '0',
      parentId,
      outsideRth,
      hidden,
      orderComboLegPrices,
      goodAfterTime,
      goodTillDate,
      whatIf,
      algoStrategy,
      trailing: r.remaining,
    },
  };
}

// Field-level encoding of IB's wire protocol at server version 193: every field is a UTF-8 string
// terminated by NUL; booleans are 0/1, an empty field means "unset". Field orders live in
// encode.ts / parse.ts, taken from @stoqey/ib 1.6.10's own encoder and decoder.

export const SERVER_VERSION = 193;
/** The oldest client protocol that still uses the length-prefixed (v100+) framing. */
export const MIN_CLIENT_VERSION = 100;

/** Java's Double.MAX_VALUE as IB writes it: the "no value" placeholder the client maps to undefined. */
export const DOUBLE_MAX_WIRE = '1.7976931348623157E308';
/** Java's Integer.MAX_VALUE: "unset" for integer fields. */
export const INT_MAX = 2147483647;

/** Messages the server sends (the client's IN_MSG_ID). */
export const OUT = {
  TICK_PRICE: 1,
  TICK_SIZE: 2,
  ORDER_STATUS: 3,
  ERR_MSG: 4,
  OPEN_ORDER: 5,
  ACCT_VALUE: 6,
  PORTFOLIO_VALUE: 7,
  ACCT_UPDATE_TIME: 8,
  NEXT_VALID_ID: 9,
  CONTRACT_DATA: 10,
  EXECUTION_DATA: 11,
  MANAGED_ACCTS: 15,
  HISTORICAL_DATA: 17,
  TICK_OPTION_COMPUTATION: 21,
  TICK_GENERIC: 45,
  CURRENT_TIME: 49,
  CONTRACT_DATA_END: 52,
  OPEN_ORDER_END: 53,
  ACCT_DOWNLOAD_END: 54,
  EXECUTION_DATA_END: 55,
  TICK_SNAPSHOT_END: 57,
  MARKET_DATA_TYPE: 58,
  COMMISSION_REPORT: 59,
  POSITION: 61,
  POSITION_END: 62,
  ACCOUNT_SUMMARY: 63,
  ACCOUNT_SUMMARY_END: 64,
  SECURITY_DEFINITION_OPTION_PARAMETER: 75,
  SECURITY_DEFINITION_OPTION_PARAMETER_END: 76,
  TICK_REQ_PARAMS: 81,
  COMPLETED_ORDERS_END: 102,
  // Answers to requests the simulator does not serve as a market (unsupported.ts).
  SCANNER_PARAMETERS: 19,
  SCANNER_DATA: 20,
  POSITION_MULTI: 71,
  POSITION_MULTI_END: 72,
  SOFT_DOLLAR_TIERS: 77,
  FAMILY_CODES: 78,
  SYMBOL_SAMPLES: 79,
  MKT_DEPTH_EXCHANGES: 80,
  NEWS_PROVIDERS: 85,
  MARKET_RULE: 93,
  PNL: 94,
  PNL_SINGLE: 95,
  USER_INFO: 107,
} as const;

/** Messages the client sends (the client's OUT_MSG_ID). */
export const IN = {
  REQ_MKT_DATA: 1,
  CANCEL_MKT_DATA: 2,
  PLACE_ORDER: 3,
  CANCEL_ORDER: 4,
  REQ_OPEN_ORDERS: 5,
  REQ_ACCOUNT_DATA: 6,
  REQ_EXECUTIONS: 7,
  REQ_IDS: 8,
  REQ_CONTRACT_DATA: 9,
  REQ_AUTO_OPEN_ORDERS: 15,
  REQ_ALL_OPEN_ORDERS: 16,
  REQ_MANAGED_ACCTS: 17,
  REQ_HISTORICAL_DATA: 20,
  CANCEL_HISTORICAL_DATA: 25,
  REQ_CURRENT_TIME: 49,
  REQ_MARKET_DATA_TYPE: 59,
  REQ_POSITIONS: 61,
  REQ_ACCOUNT_SUMMARY: 62,
  CANCEL_ACCOUNT_SUMMARY: 63,
  CANCEL_POSITIONS: 64,
  START_API: 71,
  REQ_SEC_DEF_OPT_PARAMS: 78,
  REQ_COMPLETED_ORDERS: 99,
} as const;

export type WireField = string | number | boolean | undefined | null;

/** One field as IB writes it. Non-finite and "max" doubles become the placeholders the client understands. */
export function formatField(value: WireField): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '';
    if (value === Number.MAX_VALUE) return DOUBLE_MAX_WIRE;
    if (value === Infinity) return 'Infinity';
    if (value === -Infinity) return '-Infinity';
    return String(value);
  }
  // A NUL inside a field would shift every later field; IB never sends one.
  return value.includes('\0') ? value.replaceAll('\0', '') : value;
}

/** Prices as IB sends them: no float noise such as 1.2300000000000002. */
export function price(value: number | undefined): number | undefined {
  if (value === undefined || !Number.isFinite(value) || value === Number.MAX_VALUE) return value;
  if (value === Number.MAX_SAFE_INTEGER) return value;
  return Math.round(value * 1e8) / 1e8;
}

/** Money amounts in account messages: two decimals, as TWS shows them. */
export function money(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : '';
}

export class WireUnderrun extends Error {
  constructor(what: string) {
    super(`message ended before ${what}`);
    this.name = 'WireUnderrun';
  }
}

/** Sequential reader over one message's fields, with the client's own parsing rules. */
export class FieldReader {
  private pos = 0;
  constructor(private readonly fields: readonly string[]) {}

  get remaining(): number {
    return this.fields.length - this.pos;
  }

  str(what = 'a field'): string {
    if (this.pos >= this.fields.length) throw new WireUnderrun(what);
    return this.fields[this.pos++] as string;
  }

  /** Empty → 0, like the client's readInt. */
  int(what?: string): number {
    const token = this.str(what);
    if (token === '') return 0;
    const value = parseInt(token, 10);
    return Number.isNaN(value) ? 0 : value;
  }

  /** Empty or Integer.MAX_VALUE → undefined. */
  intOrUndefined(what?: string): number | undefined {
    const token = this.str(what);
    if (token === '') return undefined;
    const value = parseInt(token, 10);
    return Number.isNaN(value) || value === INT_MAX ? undefined : value;
  }

  /** Empty or Double.MAX_VALUE → undefined. */
  doubleOrUndefined(what?: string): number | undefined {
    const token = this.str(what);
    if (token === '') return undefined;
    const value = Number(token);
    return Number.isNaN(value) || value === Number.MAX_VALUE ? undefined : value;
  }

  /** Every field not read yet (the reader is then at the end). */
  rest(): string[] {
    const fields = this.fields.slice(this.pos);
    this.pos = this.fields.length;
    return fields;
  }

  bool(what?: string): boolean {
    return this.int(what) !== 0;
  }
}

// The deterministic key of an order intent (trading rules, "Orders"): the one order per intent the bridge
// enforces rests on two runs of the same intent computing the same key.
import type { OrderPurpose } from './orders';
import type { IsoDate } from './types';

export interface IntentKeyInput {
  tradeDate: IsoDate;
  /** Candidate id for OPEN, position id for CLOSE. */
  subjectId: string;
  purpose: OrderPurpose;
  /**
   * 0 (the default) for the first order of the day. The resubmission of an unfilled remainder on a later
   * run passes 1, 2, … so the bridge does not mistake it for a duplicate of the cancelled order.
   */
  attempt?: number;
}

/** The highest attempt number an intent key can carry (`-r99`). */
export const MAX_INTENT_ATTEMPT = 99;

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

const utf8 = new TextEncoder();

/** 64-bit FNV-1a over the string's UTF-8 bytes, as 16 hex digits (the published test vectors hold). */
export function fnv1a64(text: string): string {
  let hash = FNV64_OFFSET;
  for (const byte of utf8.encode(text)) {
    hash = ((hash ^ BigInt(byte)) * FNV64_PRIME) & MASK64;
  }
  return hash.toString(16).padStart(16, '0');
}

/**
 * Deterministic key of an order intent, carried in IB's `orderRef`: `oi-20261123-OPEN-9f3a1c2b4d5e6f70`
 * (plus `-r1`, `-r2`, … for resubmissions). Readable prefix for people; the hash covers every input, so
 * two different intents share a key only by a 64-bit collision. At most 38 characters.
 */
export function intentKey(input: IntentKeyInput): string {
  const { tradeDate, subjectId, purpose } = input;
  const attempt = input.attempt ?? 0;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(tradeDate))
    throw new RangeError(`tradeDate must be YYYY-MM-DD, got ${tradeDate}`);
  if (subjectId.length === 0) throw new RangeError('subjectId must not be empty');
  if (!Number.isInteger(attempt) || attempt < 0 || attempt > MAX_INTENT_ATTEMPT) {
    throw new RangeError(`attempt must be a whole number 0–${MAX_INTENT_ATTEMPT}, got ${attempt}`);
  }
  // The subject goes last: every field before it has a fixed shape without '|', so the text is unambiguous.
  const hash = fnv1a64(`${tradeDate}|${purpose}|${attempt}|${subjectId}`);
  const suffix = attempt === 0 ? '' : `-r${attempt}`;
  return `oi-${tradeDate.replaceAll('-', '')}-${purpose}-${hash}${suffix}`;
}

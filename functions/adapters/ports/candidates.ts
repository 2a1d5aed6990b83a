// The candidates port: what the analysis stores of each scored candidate, execution's re-evaluations of
// it, and the day's compact archive of every candidate scored.
import type { IsoDate, MarketContext, ScoreBreakdown, ScoredCandidate, StrategyKind } from '#core/types';

export interface CandidateRecord extends ScoredCandidate {
  tradeDate: IsoDate;
  /** Epoch ms of the analysis run that scored it. */
  scoredAt: number;
  /** True when it passed every hard filter and reached the run's minimum score. */
  eligible: boolean;
  /**
   * The underlying's market context (IV rank, ATM IV, HV20, trend) the analysis scored it with, so
   * execution scores it again on the same context and fresh quotes. Absent on items of older runs.
   */
  market?: MarketContext;
  /** Every time execution judged it again on fresh quotes, oldest first. */
  reevaluations?: CandidateReevaluation[];
}

/** Execution's decision on one candidate after rebuilding and scoring it on the quotes of the moment. */
export interface CandidateReevaluation {
  at: number;
  dryRun: boolean;
  /** The run's minimum score. */
  minScore: number;
  /** The analysis' score, and the score on the fresh quotes (absent when it could not be rebuilt). */
  scoreBefore: number;
  scoreAfter?: number;
  /** Mid credit per share at the analysis and on the fresh quotes. */
  creditBefore: number;
  creditAfter?: number;
  /** Still eligible on the fresh quotes (no hard-filter rejection, score ≥ minScore). */
  eligible: boolean;
  /** "score 80 → 41 at 10:00, below 70: short delta 0.62 outside 0.16–0.30 (15 → 0 pts); …" */
  reason: string;
  /** The entry workflow's refusals ("step 7: …") when it was still eligible but not placed. */
  entryRefusals?: string[];
  /** The order intent written for it, when there was one. */
  intentKey?: string;
}

/**
 * One candidate as the day's archive keeps it: what an operator needs to answer "why wasn't X traded?"
 * (score, every breakdown factor, eligible, rejection reasons, notes, the key numbers). The id encodes
 * symbol, strategy, expiry and strikes; leg quotes are left out (the full items keep them for the best).
 */
export interface ArchivedCandidateRow {
  id: string;
  strategy: StrategyKind;
  expiry: IsoDate;
  dte: number;
  width: number;
  /** Per share. */
  creditMid: number;
  creditNatural: number;
  /** Per one contract, dollars. */
  maxLossUsd: number;
  pop: number;
  expectedValueUsd: number;
  breakevens: number[];
  underlyingPrice: number;
  score: number;
  breakdown: ScoreBreakdown;
  /** Passed every hard filter and reached the run's minimum score. */
  eligible: boolean;
  rejections: string[];
  notes: string[];
}

export interface ArchivedCandidate extends ArchivedCandidateRow {
  tradeDate: IsoDate;
  symbol: string;
  /** Epoch ms of the analysis run that scored it. */
  scoredAt: number;
}

/** A gzip'd block of archive rows, small enough for one DynamoDB item. */
export interface CandidateArchiveChunk {
  rows: number;
  data: Uint8Array;
}

/** Turns scored candidates, slice by slice, into archive chunks; holds only the chunk being filled. */
export interface CandidateArchiveEncoder {
  add(candidates: readonly ScoredCandidate[]): void;
  /** Rows added so far. */
  readonly rows: number;
  /** The chunks (at least one, even for no rows); nothing can be added afterwards. */
  finish(): CandidateArchiveChunk[];
}

export interface CandidateStore {
  /**
   * Stores every scored candidate of a run (25 per batch, unprocessed items retried with backoff), each
   * with a TTL. A later run of the same day overwrites a candidate with the same id.
   */
  putMany(
    tradeDate: IsoDate,
    candidates: readonly ScoredCandidate[],
    options: { scoredAt: number; minScore: number; market?: MarketContext },
  ): Promise<{ written: number }>;
  /**
   * Appends execution's re-evaluation to the candidate's item, in one conditional update (the item must
   * exist: no item is created for an id the analysis did not store).
   */
  recordReevaluation(tradeDate: IsoDate, candidateId: string, entry: CandidateReevaluation): Promise<void>;
  get(tradeDate: IsoDate, candidateId: string): Promise<CandidateRecord | undefined>;
  /** Every candidate of a trade date (paged through). */
  listByTradeDate(tradeDate: IsoDate): Promise<CandidateRecord[]>;
  /** Highest score first; `eligibleOnly` keeps only those that passed the filters and the min score. */
  listTop(tradeDate: IsoDate, options: { limit: number; eligibleOnly?: boolean }): Promise<CandidateRecord[]>;
  /** A fresh encoder for one underlying's archive (`eligible` judged against `minScore`). */
  archiveEncoder(options: { minScore: number }): CandidateArchiveEncoder;
  /**
   * Stores one underlying's archive for the day (every candidate scored, compact), replacing an earlier
   * run's: chunks are separate items beside the candidates (never returned by get, listByTradeDate or
   * listTop), each with a TTL.
   */
  putArchive(
    tradeDate: IsoDate,
    symbol: string,
    chunks: readonly CandidateArchiveChunk[],
    options: { scoredAt: number },
  ): Promise<{ chunks: number; rows: number; bytes: number }>;
  /**
   * Every archived candidate of the day (of one underlying when `symbol` is given), chunk by chunk;
   * throws when an underlying's archive is incomplete (a write in progress or failed).
   */
  readArchive(tradeDate: IsoDate, symbol?: string): AsyncIterable<ArchivedCandidate>;
}

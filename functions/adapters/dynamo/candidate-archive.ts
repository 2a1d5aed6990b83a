// The compact, complete archive of a day's scored candidates: every candidate strategy-analysis scored,
// one row each (id, score, every breakdown factor, eligible, rejection reasons, notes and the key
// numbers), in gzip'd chunks of a few thousand rows. The best candidates are also stored as full items
// (candidate-store.ts); the archive is what answers "why wasn't X traded?" for all the others, at a few
// hundred KB per underlying instead of ~150k items of ~2 KB.
//
// A chunk is JSON in columns (one array per field, so similar values sit side by side and compress
// well), with the rejection reasons and notes dictionary-encoded (a leg's reason repeats in every
// condor that uses the leg). Numbers are exact: finite ones as JSON numbers, NaN and ±Infinity as
// strings. Each chunk decodes on its own.
import { gunzipSync, gzipSync } from 'node:zlib';
import { isEligible } from '#core/scoring';
import type { ScoredCandidate, StrategyKind } from '#core/types';
import type { ArchivedCandidateRow, CandidateArchiveChunk, CandidateArchiveEncoder } from '../ports';

export const ARCHIVE_FORMAT = 'candidate-archive/1';

/**
 * Sort-key prefix of archive items in the candidates table. `~` sorts after every character a candidate
 * id starts with (a ticker), so `id < ARCHIVE_ID_PREFIX` selects the candidates and
 * `begins_with(id, ARCHIVE_ID_PREFIX)` the archive.
 */
export const ARCHIVE_ID_PREFIX = '~archive#';

/** DynamoDB's item limit is 400 KB (names and values); a chunk's gzip'd data stays at or below this. */
export const ARCHIVE_CHUNK_MAX_BYTES = 350 * 1024;
/** What the encoder aims a chunk at, leaving room for a chunk that compresses worse than the last. */
export const ARCHIVE_CHUNK_TARGET_BYTES = 300 * 1024;
/** Rows of the first chunk, before the encoder has seen how well this day's rows compress. */
const FIRST_CHUNK_ROWS = 4000;

/** The archive item id of chunk `index` of `symbol`: `~archive#SPY#0003`. */
export function archiveChunkId(symbol: string, index: number): string {
  return `${archivePrefixOf(symbol)}${String(index).padStart(4, '0')}`;
}

/** The id prefix of every archive chunk of one underlying (`~archive#SPY#`). */
export function archivePrefixOf(symbol: string): string {
  // The symbol ends at the next `#`: a symbol holding one could read another's chunks.
  if (!/^[A-Za-z0-9._-]{1,20}$/.test(symbol)) {
    throw new RangeError(`archive symbol ${JSON.stringify(symbol)} may hold only letters, digits, . _ -`);
  }
  return `${ARCHIVE_ID_PREFIX}${symbol}#`;
}

type Num = number | string;
const num = (x: number): Num => (Number.isFinite(x) ? x : String(x));
const unnum = (x: Num): number => (typeof x === 'number' ? x : Number(x));

/** One chunk as JSON: a column per field, `count` rows. */
interface ChunkJson {
  format: typeof ARCHIVE_FORMAT;
  count: number;
  reasonDictionary: string[];
  noteDictionary: string[];
  id: string[];
  strategy: StrategyKind[];
  expiry: string[];
  dte: Num[];
  width: Num[];
  creditMid: Num[];
  creditNatural: Num[];
  maxLossUsd: Num[];
  pop: Num[];
  expectedValueUsd: Num[];
  breakevens: Num[][];
  underlyingPrice: Num[];
  score: Num[];
  ivRank: Num[];
  creditToWidth: Num[];
  shortDelta: Num[];
  liquidity: Num[];
  dteFit: Num[];
  ivHv: Num[];
  trendFit: Num[];
  /** 1 or 0. */
  eligible: number[];
  /** Indexes into reasonDictionary. */
  rejections: number[][];
  /** Indexes into noteDictionary. */
  notes: number[][];
}

/** The fields of one scored candidate the archive keeps. */
function rowOf(c: ScoredCandidate, minScore: number): ArchivedCandidateRow {
  return {
    id: c.id,
    strategy: c.strategy,
    expiry: c.expiry,
    dte: c.dte,
    width: c.width,
    creditMid: c.creditMid,
    creditNatural: c.creditNatural,
    maxLossUsd: c.maxLossUsd,
    pop: c.pop,
    expectedValueUsd: c.expectedValueUsd,
    breakevens: c.breakevens,
    underlyingPrice: c.underlyingPrice,
    score: c.score,
    breakdown: c.breakdown,
    // The same rule as the candidate items' `eligible`.
    eligible: isEligible(c, minScore),
    rejections: c.rejections,
    notes: c.notes ?? [],
  };
}

function dictionaryIndex(dictionary: Map<string, number>, text: string): number {
  let index = dictionary.get(text);
  if (index === undefined) dictionary.set(text, (index = dictionary.size));
  return index;
}

/** Encodes rows as one gzip'd JSON chunk. */
export function encodeChunk(rows: readonly ArchivedCandidateRow[]): Uint8Array {
  const reasons = new Map<string, number>();
  const notes = new Map<string, number>();
  const column = <T>(f: (r: ArchivedCandidateRow) => T): T[] => rows.map(f);
  const chunk: ChunkJson = {
    format: ARCHIVE_FORMAT,
    count: rows.length,
    reasonDictionary: [],
    noteDictionary: [],
    id: column((r) => r.id),
    strategy: column((r) => r.strategy),
    expiry: column((r) => r.expiry),
    dte: column((r) => num(r.dte)),
    width: column((r) => num(r.width)),
    creditMid: column((r) => num(r.creditMid)),
    creditNatural: column((r) => num(r.creditNatural)),
    maxLossUsd: column((r) => num(r.maxLossUsd)),
    pop: column((r) => num(r.pop)),
    expectedValueUsd: column((r) => num(r.expectedValueUsd)),
    breakevens: column((r) => r.breakevens.map(num)),
    underlyingPrice: column((r) => num(r.underlyingPrice)),
    score: column((r) => num(r.score)),
    ivRank: column((r) => num(r.breakdown.ivRank)),
    creditToWidth: column((r) => num(r.breakdown.creditToWidth)),
    shortDelta: column((r) => num(r.breakdown.shortDelta)),
    liquidity: column((r) => num(r.breakdown.liquidity)),
    dteFit: column((r) => num(r.breakdown.dteFit)),
    ivHv: column((r) => num(r.breakdown.ivHv)),
    trendFit: column((r) => num(r.breakdown.trendFit)),
    eligible: column((r) => (r.eligible ? 1 : 0)),
    rejections: column((r) => r.rejections.map((text) => dictionaryIndex(reasons, text))),
    notes: column((r) => r.notes.map((text) => dictionaryIndex(notes, text))),
  };
  chunk.reasonDictionary = [...reasons.keys()];
  chunk.noteDictionary = [...notes.keys()];
  return gzipSync(JSON.stringify(chunk));
}

/** Decodes one chunk written by encodeChunk; throws naming what is wrong with a corrupt one. */
export function decodeChunk(data: Uint8Array): ArchivedCandidateRow[] {
  const chunk = JSON.parse(gunzipSync(data).toString('utf8')) as ChunkJson;
  if (chunk.format !== ARCHIVE_FORMAT) {
    throw new Error(`candidate archive chunk: unknown format ${JSON.stringify(chunk.format)}`);
  }
  const columns = Object.entries(chunk).filter(([, value]) => Array.isArray(value)) as [string, unknown[]][];
  for (const [name, values] of columns) {
    if (name.endsWith('Dictionary')) continue;
    if (values.length !== chunk.count) {
      throw new Error(
        `candidate archive chunk: column ${name} has ${values.length} rows, expected ${chunk.count}`,
      );
    }
  }
  const word = (dictionary: string[], index: number, what: string) => {
    const text = dictionary[index];
    if (text === undefined)
      throw new Error(`candidate archive chunk: no ${what} #${index} in its dictionary`);
    return text;
  };
  const rows: ArchivedCandidateRow[] = [];
  for (let i = 0; i < chunk.count; i++) {
    rows.push({
      id: chunk.id[i]!,
      strategy: chunk.strategy[i]!,
      expiry: chunk.expiry[i]!,
      dte: unnum(chunk.dte[i]!),
      width: unnum(chunk.width[i]!),
      creditMid: unnum(chunk.creditMid[i]!),
      creditNatural: unnum(chunk.creditNatural[i]!),
      maxLossUsd: unnum(chunk.maxLossUsd[i]!),
      pop: unnum(chunk.pop[i]!),
      expectedValueUsd: unnum(chunk.expectedValueUsd[i]!),
      breakevens: chunk.breakevens[i]!.map(unnum),
      underlyingPrice: unnum(chunk.underlyingPrice[i]!),
      score: unnum(chunk.score[i]!),
      breakdown: {
        ivRank: unnum(chunk.ivRank[i]!),
        creditToWidth: unnum(chunk.creditToWidth[i]!),
        shortDelta: unnum(chunk.shortDelta[i]!),
        liquidity: unnum(chunk.liquidity[i]!),
        dteFit: unnum(chunk.dteFit[i]!),
        ivHv: unnum(chunk.ivHv[i]!),
        trendFit: unnum(chunk.trendFit[i]!),
      },
      eligible: chunk.eligible[i] === 1,
      rejections: chunk.rejections[i]!.map((k) => word(chunk.reasonDictionary, k, 'reason')),
      notes: chunk.notes[i]!.map((k) => word(chunk.noteDictionary, k, 'note')),
    });
  }
  return rows;
}

/**
 * Gzip'd chunks of `rows`, each at most `maxBytes`: a chunk that comes out larger is split in two and
 * both halves encoded again.
 */
function encodeWithin(rows: readonly ArchivedCandidateRow[], maxBytes: number): CandidateArchiveChunk[] {
  const data = encodeChunk(rows);
  if (data.byteLength <= maxBytes) return [{ rows: rows.length, data }];
  if (rows.length <= 1) {
    throw new RangeError(`candidate ${rows[0]?.id}: one archive row is ${data.byteLength} bytes gzip'd`);
  }
  const half = Math.ceil(rows.length / 2);
  return [...encodeWithin(rows.slice(0, half), maxBytes), ...encodeWithin(rows.slice(half), maxBytes)];
}

/**
 * An encoder that takes scored candidates slice by slice and keeps only the rows of the chunk being
 * filled plus the finished chunks' gzip'd bytes, so memory stays bounded however many are scored. The
 * rows per chunk adapt to how well the previous chunk compressed.
 */
export function candidateArchiveEncoder(options: {
  minScore: number;
  targetBytes?: number;
  maxBytes?: number;
}): CandidateArchiveEncoder {
  const targetBytes = options.targetBytes ?? ARCHIVE_CHUNK_TARGET_BYTES;
  const maxBytes = options.maxBytes ?? ARCHIVE_CHUNK_MAX_BYTES;
  const chunks: CandidateArchiveChunk[] = [];
  let pending: ArchivedCandidateRow[] = [];
  let rowsPerChunk = FIRST_CHUNK_ROWS;
  let rows = 0;
  let finished = false;

  const flush = () => {
    const done = encodeWithin(pending, maxBytes);
    chunks.push(...done);
    const bytes = done.reduce((s, c) => s + c.data.byteLength, 0);
    if (pending.length > 0 && bytes > 0) {
      rowsPerChunk = Math.max(1, Math.floor((targetBytes / bytes) * pending.length));
    }
    pending = [];
  };

  return {
    add(candidates) {
      if (finished) throw new Error('candidate archive encoder: add after finish');
      for (const c of candidates) {
        pending.push(rowOf(c, options.minScore));
        rows += 1;
        if (pending.length >= rowsPerChunk) flush();
      }
    },
    get rows() {
      return rows;
    },
    finish() {
      if (!finished) {
        // An underlying without candidates still gets one (empty) chunk: "analysed, nothing to score"
        // reads differently from "no archive".
        if (pending.length > 0 || chunks.length === 0) flush();
        finished = true;
      }
      return [...chunks];
    },
  };
}

// Payload fields shared by the data jobs (load-historical-data, collect-option-data, collect-futures-data).
import { z } from 'zod';

/** An optional list of tickers that replaces the config universe for one manual run. */
export const tickerList = z
  .array(z.string().regex(/^[A-Z][A-Z0-9.]{0,9}$/, { error: 'expected an upper-case ticker such as SPY' }), {
    error: 'expected a list of tickers',
  })
  .min(1, { error: 'expected at least one ticker' })
  .max(20, { error: 'expected at most 20 tickers' })
  .optional();

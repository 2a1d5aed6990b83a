// NYSE full holidays and 13:00 early closes as announced by NYSE (see ../shared/data/nyse-calendar.json
// for the source). They cannot all be derived by rule (e.g. the 2025-01-09 closure), so they are data;
// a test checks this copy against the shared file. Extend it when NYSE announces the next years.
export const NYSE_HOLIDAYS: readonly string[] = [
  '2025-01-01',
  '2025-01-09',
  '2025-01-20',
  '2025-02-17',
  '2025-04-18',
  '2025-05-26',
  '2025-06-19',
  '2025-07-04',
  '2025-09-01',
  '2025-11-27',
  '2025-12-25',
  '2026-01-01',
  '2026-01-19',
  '2026-02-16',
  '2026-04-03',
  '2026-05-25',
  '2026-06-19',
  '2026-07-03',
  '2026-09-07',
  '2026-11-26',
  '2026-12-25',
  '2027-01-01',
  '2027-01-18',
  '2027-02-15',
  '2027-03-26',
  '2027-05-31',
  '2027-06-18',
  '2027-07-05',
  '2027-09-06',
  '2027-11-25',
  '2027-12-24',
  '2028-01-17',
  '2028-02-21',
  '2028-04-14',
  '2028-05-29',
  '2028-06-19',
  '2028-07-04',
  '2028-09-04',
  '2028-11-23',
  '2028-12-25',
];

export const NYSE_EARLY_CLOSES: readonly string[] = [
  '2025-07-03',
  '2025-11-28',
  '2025-12-24',
  '2026-11-27',
  '2026-12-24',
  '2027-11-26',
  '2028-07-03',
  '2028-11-24',
];

/** ETF options such as SPY, QQQ and IWM trade 15 minutes past the equity close. */
export const BROAD_ETF_OPTIONS_EXTRA_MINUTES = 15;

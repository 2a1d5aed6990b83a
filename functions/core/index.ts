// The public API of the trading core: pure functions over plain data (no I/O, no clock reads).
export * from './types';
export * from './config';
export * from './pricing';
export * from './chain';
export * from './calendar';
export * from './market-context';
export * from './strategies';
export * from './filters';
export * from './scoring';
export * from './entry';
export * from './orders';
export * from './pnl';
export * from './alerts';
export * from './decision';
export * from './intents';
export * from './lifecycle';
export { NYSE_EARLY_CLOSES, NYSE_HOLIDAYS, BROAD_ETF_OPTIONS_EXTRA_MINUTES } from './nyse-calendar';

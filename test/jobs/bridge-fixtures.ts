// A healthy bridge's /health answer, for tests that stand in a bridge with a plain HTTP server.
export const HEALTHY_BRIDGE = {
  status: 'ok',
  ibConnected: true,
  state: 'ready',
  since: 0,
  farms: {},
  tradingMode: 'paper',
  reconnectAttempts: 0,
  inRestartWindow: false,
  queueLength: 0,
  linesInUse: 0,
};

/** setup's alerting options as yargs parses them with no flag given: the defaults. */
export const ALERTING_ARGS = {
  alerts: true,
  alertPrefix: 'tower',
  alertHosts: undefined,
  silentAfter: '30s',
  forgetAfter: '7d',
  checkEvery: '10s',
  checkOffset: '6s',
  thresholdFor: '1m',
  cpuCrit: 90,
  cpuWarn: 75,
  memoryCrit: 90,
  alertWebhook: undefined,
  alertWebhookTokenFile: undefined,
  alertWebhookUser: undefined,
  alertWebhookPasswordFile: undefined,
};

/** /sys/class/thermal/thermal_zone0/temp holds millidegrees Celsius; °C with one decimal. */
export function parseThermalMilliC(text: string): number | undefined {
  const milli = Number(text.trim());
  if (!Number.isFinite(milli) || text.trim() === '') return undefined;
  return Math.round(milli / 100) / 10;
}

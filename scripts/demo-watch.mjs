// Prints new rows of measurement `labs` as they land, via InfluxDB's v1 /query.
const env = process.env;
const auth = Buffer.from(`${env.TOWER_V1_USER}:${env.TOWER_V1_PASSWORD}`).toString('base64');
let since = Date.now() - 5_000;

async function poll() {
  const url = new URL('/query', env.TOWER_INFLUX_URL);
  const q = `SELECT "host", "CPU_Usage", "memory" FROM "Labs"."autogen"."labs" WHERE time > ${since}ms`;
  url.search = new URLSearchParams({ db: 'Labs', q, epoch: 'ms' }).toString();
  const response = await fetch(url, { headers: { authorization: `Basic ${auth}` } });
  const body = await response.json();
  for (const series of body.results?.[0]?.series ?? []) {
    for (const [time, host, cpu, memory] of series.values) {
      console.log(`${new Date(time).toISOString()}  host=${host}  CPU_Usage=${cpu}%  memory=${memory} kB`);
      since = Math.max(since, time);
    }
  }
}

setInterval(() => poll().catch((err) => console.error(`[demo] query failed: ${err.message}`)), 1_000);

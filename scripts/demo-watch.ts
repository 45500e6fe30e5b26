// Prints new rows of measurement `labs` as they land, via InfluxDB's v1 /query as the lab's v1 user.
import { influxQL } from '../src/influx/query.js';

const env = process.env;
const server = { url: env.TOWER_INFLUX_URL ?? '', user: env.TOWER_V1_USER ?? '', password: env.TOWER_V1_PASSWORD ?? '' };
let since = Date.now() - 5_000;

async function poll(): Promise<void> {
  const q = `SELECT "host", "CPU_Usage", "memory" FROM "Labs"."autogen"."labs" WHERE time > ${since}ms`;
  for (const series of await influxQL(server, 'Labs', q)) {
    for (const [time, host, cpu, memory] of series.values) {
      console.log(`${new Date(time as number).toISOString()}  host=${host}  CPU_Usage=${cpu}%  memory=${memory} kB`);
      since = Math.max(since, time as number);
    }
  }
}

setInterval(() => poll().catch((err: Error) => console.error(`[demo] query failed: ${err.message}`)), 1_000);

// The comparison point for bench:agent: the same delivery path, but the
// sample comes from systeminformation calls instead of reading /proc. It runs
// with the agent's V8 flags, so that only the sampling differs.
import '../src/agent/runtimeFlags.js';
import si from 'systeminformation';
import { Delivery } from '../src/agent/delivery.js';
import { SampleProducer } from '../src/agent/producer.js';
import { startTicker } from '../src/agent/schedule.js';
import { Spool } from '../src/agent/spool.js';
import { createKafka } from '../src/kafka/client.js';
import { waitForSignal } from '../src/lifecycle.js';
import { createLogger } from '../src/log.js';
import { encodeSample, SCHEMA_VERSION } from '../src/schema/sample.js';

const [brokers, host, spoolDir, lingerMs = '0'] = process.argv.slice(2) as [string, string, string, string?];
const logger = createLogger('si-agent');
const producer = new SampleProducer(createKafka({ brokers: brokers.split(','), clientId: 'si-agent', logger }), { topic: 'resource', key: host });
const delivery = new Delivery(new Spool(spoolDir), producer, logger, { lingerMs: Number(lingerMs) });
delivery.start();
let disk = 0;
let diskAt = 0;
const ticker = startTicker('* * * * * *', async () => {
  const [load, mem, net] = await Promise.all([si.currentLoad(), si.mem(), si.networkStats()]);
  if (Date.now() - diskAt > 60_000) {
    disk = (await si.fsSize()).find((fs) => fs.mount === '/')?.use ?? 0;
    diskAt = Date.now();
  }
  const iface = net[0];
  const fields = {
    CPU_Usage: load.currentLoad,
    memory: Math.round(mem.available / 1024),
    mem_used_percent: ((mem.total - mem.available) / mem.total) * 100,
    load1: load.avgLoad,
    rx: iface?.rx_bytes ?? 0,
    tx: iface?.tx_bytes ?? 0,
    rx_dropped: iface?.rx_dropped ?? 0,
    tx_dropped: iface?.tx_dropped ?? 0,
    rxError: iface?.rx_errors ?? 0,
    txError: iface?.tx_errors ?? 0,
    disk,
  };
  delivery.enqueue(encodeSample({ v: SCHEMA_VERSION, host, time: Date.now(), fields }));
});
await waitForSignal();
await ticker.stop();
await delivery.stop(3_000);
await producer.disconnect();
logger.info({ ...delivery.stats }, 'si-agent stopped');

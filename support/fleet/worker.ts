// A child process running a Flock for the parent's startFleet(): it starts on
// {type:'start'}, reports {type:'stats'} every second and answers {type:'stop'}
// with {type:'stopped', sent}. It exits when the parent goes away.
import { Flock, type FlockOptions, type FlockStats } from './pi.js';

export type ToWorker = { type: 'start'; options: FlockOptions } | { type: 'stop'; drainMs: number; graceMs: number };
export type FromWorker =
  | { type: 'ready'; startedAt: number }
  | { type: 'stats'; stats: FlockStats }
  | { type: 'stopped'; sent: [string, number[]][]; stats: FlockStats }
  | { type: 'failed'; message: string };

const send = (message: FromWorker) => process.send?.(message);
let flock: Flock | undefined;
let reporter: NodeJS.Timeout | undefined;

// Exit through process.exit so that the Flock's exit hook removes its spools.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(143));
process.on('message', (message: ToWorker) => {
  void handle(message).catch((err: Error) => {
    send({ type: 'failed', message: err.stack ?? err.message });
    process.exitCode = 1;
    process.disconnect();
  });
});

async function handle(message: ToWorker): Promise<void> {
  if (message.type === 'start') {
    flock = new Flock(message.options);
    const startedAt = flock.start();
    reporter = setInterval(() => flock && send({ type: 'stats', stats: flock.stats }), 1000);
    send({ type: 'ready', startedAt });
    return;
  }
  clearInterval(reporter);
  const stopping = flock as Flock;
  const sent = await stopping.stop(message.drainMs, message.graceMs);
  send({ type: 'stopped', sent: [...sent], stats: stopping.stats });
}

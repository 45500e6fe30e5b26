import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';

/**
 * kafkajs 2.2.4 keeps two timers per broker connection running while nothing
 * is sent, each waking the process to run JavaScript:
 *
 * - the pending-request check, re-armed every 1 ms forever (kafkajs issues
 *   #1556 and #1704, unreleased upstream): about 40 ms of CPU a second for an
 *   idle producer on the 2-core x86 test machine;
 * - the request-timeout check, a 100 ms interval from connect to disconnect:
 *   about 5 ms of CPU a second for the agent with its three connections,
 *   whether it sends once a second or once a minute (measured).
 *
 * Here each runs only while requests are waiting or in flight. A request
 * still times out after requestTimeout, checked every 100 ms as before.
 */
interface SocketRequestInternals {
  sentAt: number;
  requestTimeout: number;
  timeoutRequest(): void;
}

interface RequestQueueInternals {
  pending: unknown[];
  inflight: Map<number, SocketRequestInternals>;
  requestTimeout: number;
  enforceRequestTimeout: boolean;
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  requestTimeoutIntervalId: NodeJS.Timeout | null;
  isConnected(): boolean;
  checkPendingRequests(): void;
  destroy(): void;
}

const PENDING_CHECK_INTERVAL_MS = 10;
const TIMEOUT_CHECK_INTERVAL_MS = 100;

export function patchKafkajsRequestQueue(): void {
  // A static import, so that the bundled agent (dist/pi) carries it too.
  const proto = RequestQueue.prototype as unknown as RequestQueueInternals & Record<string, unknown>;
  if (proto.towerPatched) return;
  proto.towerPatched = true;

  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueInternals) {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const untilUnthrottled = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      untilUnthrottled > 0 ? untilUnthrottled : PENDING_CHECK_INTERVAL_MS,
    );
  };

  // Called on connect: clear what a previous connection left; push() arms the check.
  RequestQueue.prototype.scheduleRequestTimeoutCheck = function scheduleRequestTimeoutCheck(this: RequestQueueInternals) {
    this.destroy();
  };

  const push = RequestQueue.prototype.push;
  RequestQueue.prototype.push = function patchedPush(this: RequestQueueInternals, request: unknown) {
    push.call(this, request);
    armTimeoutCheck(this);
  };

  const destroy = RequestQueue.prototype.destroy;
  RequestQueue.prototype.destroy = function patchedDestroy(this: RequestQueueInternals) {
    destroy.call(this);
    this.requestTimeoutIntervalId = null;
  };
}

function armTimeoutCheck(queue: RequestQueueInternals): void {
  if (!queue.enforceRequestTimeout || queue.requestTimeoutIntervalId) return;
  queue.requestTimeoutIntervalId = setInterval(
    () => {
      const now = Date.now();
      for (const request of queue.inflight.values()) if (now - request.sentAt > request.requestTimeout) request.timeoutRequest();
      if (!queue.isConnected()) queue.destroy();
      else if (queue.inflight.size === 0 && queue.pending.length === 0) {
        clearInterval(queue.requestTimeoutIntervalId as NodeJS.Timeout);
        queue.requestTimeoutIntervalId = null;
      }
    },
    Math.min(queue.requestTimeout, TIMEOUT_CHECK_INTERVAL_MS),
  );
}

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
 * Here each runs only while requests are waiting or in flight. The timeout
 * check is one timer set for the earliest moment a request in flight could
 * time out (requestTimeout after it was sent: no request has a shorter one)
 * instead of every 100 ms, and it is cleared when the last answer arrives:
 * a request answered in milliseconds no longer wakes the process 100 ms
 * later. A request still times out after its requestTimeout, at most 100 ms
 * late as before.
 */
interface SocketRequestInternals {
  sentAt: number;
  requestTimeout: number;
  timeoutRequest(): void;
}

interface Response {
  correlationId: number;
  payload: unknown;
  size: number;
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

  const fulfillRequest = RequestQueue.prototype.fulfillRequest;
  RequestQueue.prototype.fulfillRequest = function patchedFulfillRequest(this: RequestQueueInternals, response: Response) {
    fulfillRequest.call(this, response);
    if (idle(this)) stopTimeoutCheck(this);
  };

  const destroy = RequestQueue.prototype.destroy;
  RequestQueue.prototype.destroy = function patchedDestroy(this: RequestQueueInternals) {
    destroy.call(this);
    this.requestTimeoutIntervalId = null;
  };
}

function armTimeoutCheck(queue: RequestQueueInternals): void {
  if (!queue.enforceRequestTimeout || queue.requestTimeoutIntervalId) return;
  scheduleTimeoutCheck(queue, queue.requestTimeout);
}

function scheduleTimeoutCheck(queue: RequestQueueInternals, delayMs: number): void {
  queue.requestTimeoutIntervalId = setTimeout(() => {
    queue.requestTimeoutIntervalId = null;
    const now = Date.now();
    let next = queue.requestTimeout;
    for (const request of queue.inflight.values()) {
      const left = request.sentAt + request.requestTimeout - now;
      if (left < 0) request.timeoutRequest();
      else next = Math.min(next, left);
    }
    if (!queue.isConnected()) queue.destroy();
    else if (!idle(queue)) scheduleTimeoutCheck(queue, Math.max(next, TIMEOUT_CHECK_INTERVAL_MS));
  }, delayMs);
}

function idle(queue: RequestQueueInternals): boolean {
  return queue.inflight.size === 0 && queue.pending.length === 0;
}

function stopTimeoutCheck(queue: RequestQueueInternals): void {
  if (!queue.requestTimeoutIntervalId) return;
  clearTimeout(queue.requestTimeoutIntervalId);
  queue.requestTimeoutIntervalId = null;
}

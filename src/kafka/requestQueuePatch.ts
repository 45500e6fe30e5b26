import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';

/**
 * kafkajs 2.2.4 re-arms a 1 ms timer per broker connection forever, even with
 * nothing queued (kafkajs issues #1556 and #1704, unreleased upstream): about
 * 40 ms of CPU a second for an idle producer on the 2-core x86 test machine.
 * Here the check is scheduled only when requests are actually waiting; a new
 * request or a response triggers the check anyway.
 */
interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
}

const PENDING_CHECK_INTERVAL_MS = 10;

export function patchKafkajsRequestQueue(): void {
  // A static import, so that the bundled agent (dist/pi) carries it too.
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
}

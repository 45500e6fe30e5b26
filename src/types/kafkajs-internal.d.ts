// kafkajs ships no types for its internals; only the request queue is touched (see requestQueuePatch.ts).
declare module 'kafkajs/src/network/requestQueue/index.js' {
  const RequestQueue: {
    prototype: {
      scheduleCheckPendingRequests(): void;
      scheduleRequestTimeoutCheck(): void;
      push(request: unknown): void;
      destroy(): void;
    };
  };
  export default RequestQueue;
}

// kafkajs ships no types for its internals; only these are touched (see the patches in src/kafka).
declare module 'kafkajs/src/network/requestQueue/index.js' {
  const RequestQueue: {
    prototype: {
      scheduleCheckPendingRequests(): void;
      scheduleRequestTimeoutCheck(): void;
      push(request: unknown): void;
      fulfillRequest(response: { correlationId: number; payload: unknown; size: number }): void;
      destroy(): void;
    };
  };
  export default RequestQueue;
}

// The Produce request's versions (see produceRequestPatch.ts).
declare module 'kafkajs/src/protocol/requests/produce/index.js' {
  const Produce: {
    versions: string[];
    protocol(options: { version: number }): (args: object) => {
      request: { apiKey: number; apiVersion: number; apiName: string; encode(): Promise<unknown> };
      response: unknown;
    };
  };
  export default Produce;
}

declare module 'kafkajs/src/producer/partitioners/default/murmur2.js' {
  /** Kafka's murmur2 hash of a message key, as a signed 32-bit number (what the default partitioner uses). */
  const murmur2: (key: string | Buffer) => number;
  export default murmur2;
}

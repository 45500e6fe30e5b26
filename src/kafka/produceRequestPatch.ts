import { gzipSync } from 'node:zlib';
import kafkajs, { CompressionTypes } from 'kafkajs';
import Produce from 'kafkajs/src/protocol/requests/produce/index.js';
import { COMPRESSION_GZIP, encodeProduceRequest, leanEncodable, type ProduceArgs } from './produceRequest.js';

/**
 * kafkajs 2.2.4 builds a Produce request from a fresh 512-byte zeroed Encoder
 * for every record, header, record batch, partition and topic, each copied
 * into the next: about 0.9 ms of the agent's main thread per request, most of
 * it interpreted JavaScript (docs/PERFORMANCE.md). Here versions 3 to 7 (what
 * kafkajs speaks to Kafka ≥ 0.11) get their body from encodeProduceRequest,
 * the same bytes written into one buffer; kafkajs still frames, sends, times
 * out, retries and decodes. Arguments that encoder does not handle, and gzip
 * when kafkajs' codec is not the synchronous one (gzipCodecPatch.ts), go
 * through kafkajs' own encoder.
 */
type MakeRequest = ReturnType<typeof Produce.protocol>;

const FIRST_LEAN_VERSION = 3;
const LAST_LEAN_VERSION = 7;

export function patchKafkajsProduceRequest(): void {
  const produce = Produce as typeof Produce & { towerLean?: true };
  if (produce.towerLean) return;
  produce.towerLean = true;
  const protocol = produce.protocol;
  produce.protocol = ({ version }) => {
    const make = protocol({ version });
    return version >= FIRST_LEAN_VERSION && version <= LAST_LEAN_VERSION ? withLeanEncode(make) : make;
  };
}

function withLeanEncode(make: MakeRequest): MakeRequest {
  return (args) => {
    const made = make(args);
    const kafkajsEncode = made.request.encode;
    made.request.encode = async () => {
      const produceArgs = args as ProduceArgs;
      if (!leanEncodable(produceArgs) || (produceArgs.compression === COMPRESSION_GZIP && !gzipIsSynchronous())) return kafkajsEncode();
      const body = encodeProduceRequest(produceArgs, Date.now(), gzipSync);
      // What kafkajs' request framing reads of an Encoder.
      return { buf: body, buffer: body };
    };
    return made;
  };
}

function gzipIsSynchronous(): boolean {
  return (kafkajs.CompressionCodecs[CompressionTypes.GZIP]() as { towerSync?: true }).towerSync === true;
}

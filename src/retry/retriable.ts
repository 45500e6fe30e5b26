/**
 * Runs `attempt` again while it fails with an error Kafka calls retriable
 * (kafkajs sets `retriable`: a group coordinator still loading or just
 * moved, a topic's metadata not yet everywhere), at most `attempts` times,
 * `delayMs` apart. Any other error, or the last one, is thrown.
 */
export async function retryRetriable<T>(attempt: () => Promise<T>, attempts = 5, delayMs = 500): Promise<T> {
  for (let i = 1; ; i += 1) {
    try {
      return await attempt();
    } catch (err) {
      if (i >= attempts || (err as { retriable?: unknown }).retriable !== true) throw err;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

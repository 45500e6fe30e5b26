import { readFileSync } from 'node:fs';
import { ConfigError } from './cli.js';

export interface SecretSource {
  /** Environment variable holding the secret, e.g. TOWER_INFLUX_TOKEN. */
  env: string;
  /** Path of a file holding the secret (systemd credentials, Docker secrets). Wins over env. */
  file?: string;
  /** The flag that names the file, for the error message. */
  fileFlag: string;
}

/** Secrets come from a file or the environment, never from argv (visible in `ps`). */
export function readSecret(source: SecretSource): string {
  if (source.file) {
    let text: string;
    try {
      text = readFileSync(source.file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read ${source.fileFlag} ${source.file}: ${(err as Error).message}`);
    }
    const secret = text.trim();
    if (!secret) throw new ConfigError(`${source.fileFlag} ${source.file} is empty`);
    return secret;
  }
  const secret = process.env[source.env]?.trim();
  if (!secret) throw new ConfigError(`no secret given: set ${source.env} or ${source.fileFlag} PATH`);
  return secret;
}

import { readFileSync } from 'node:fs';

/** Exit code for bad flags, environment or config: the user must fix input. */
export const EXIT_USAGE = 2;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Prints a one-line error for the user and exits with EXIT_USAGE. */
export function failUsage(program: string, message: string): never {
  process.stderr.write(`${program}: ${message}\nRun '${program} --help' for the options.\n`);
  process.exit(EXIT_USAGE);
}

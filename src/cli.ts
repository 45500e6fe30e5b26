/** Exit code for bad flags, environment or config: the user must fix input. */
export const EXIT_USAGE = 2;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Prints a one-line error for the user and exits with EXIT_USAGE. */
export function failUsage(program: string, message: string): never {
  process.stderr.write(`${program}: ${message}\nRun '${program} --help' for the options.\n`);
  process.exit(EXIT_USAGE);
}

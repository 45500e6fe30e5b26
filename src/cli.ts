import type { InferredOptionTypes, Options } from 'yargs';

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

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * Flags on the command line that no option declares. yargs' own strict mode
 * would also reject every unrelated TOWER_* variable in the environment (the
 * sink's token in the agent's shell, say), so the command line is checked here.
 */
export function unknownFlags(args: string[], known: Iterable<string>): string[] {
  const names = new Set(['help', 'version', ...known].map(kebab));
  const unknown: string[] = [];
  for (const arg of args) {
    if (arg === '--') break;
    if (!arg.startsWith('--')) continue;
    const name = kebab(arg.slice(2).split('=')[0] as string);
    if (!names.has(name) && !(name.startsWith('no-') && names.has(name.slice(3)))) unknown.push(`--${name}`);
  }
  return unknown;
}

/** Keys of a config file that name no option. */
export function unknownConfigKeys(config: Record<string, unknown>, known: Iterable<string>): string[] {
  const names = new Set([...known].map(kebab));
  return Object.keys(config).filter((key) => !names.has(kebab(key)));
}

/** Flags precedence shared by both programs: flags > TOWER_* environment > --config file > defaults. */
export const PRECEDENCE_NOTE = [
  'Every option can also be set as TOWER_<NAME> in the environment',
  '(e.g. TOWER_BROKERS, TOWER_SPOOL_DIR) or in a --config file.',
  'Precedence: flags > environment > config file > defaults.',
].join('\n');

/** A bad value as the user wrote it; yargs has already turned text given to a number option into NaN. */
export const shown = (value: unknown) => (Number.isNaN(value) ? 'something that is not a number' : String(value));

/** Option validators: each returns the value or throws a ConfigError naming the flag. */
export function nonEmpty(value: unknown, flag: string): string {
  const text = String(value ?? '').trim();
  if (!text) throw new ConfigError(`${flag} must not be empty`);
  return text;
}

export function positive(value: unknown, flag: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new ConfigError(`${flag} must be a number > 0, got ${shown(value)}`);
  return n;
}

export function nonNegative(value: unknown, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${flag} must be a number ≥ 0, got ${shown(value)}`);
  return n;
}

export function wholeNumber(value: unknown, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${flag} must be a whole number ${range}, got ${shown(value)}`);
  return n;
}

type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/** The values yargs parses for a set of option specs, under the camelCase names the code reads. */
export type ParsedOptions<O extends Record<string, Options>> = { [K in keyof O & string as CamelCase<K>]: InferredOptionTypes<O>[K] };

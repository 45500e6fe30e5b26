import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigError, unknownConfigKeys } from './cli.js';

/**
 * Reads a JSON or YAML config file (YAML is a superset of JSON) into the flat
 * option map yargs expects; keys are the long option names, e.g. `spool-dir`.
 */
export function readConfigFile(path: string, known: Iterable<string>): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is neither valid YAML nor JSON: ${(err as Error).message}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(`config file ${path} must hold a map of option: value`);
  const unknown = unknownConfigKeys(data as Record<string, unknown>, known);
  if (unknown.length > 0) throw new ConfigError(`config file ${path} has unknown keys: ${unknown.join(', ')}`);
  return data as Record<string, unknown>;
}

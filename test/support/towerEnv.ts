import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const clearTower = () => {
  for (const key of Object.keys(process.env)) if (key.startsWith('TOWER_')) delete process.env[key];
};

/**
 * Runs FN with ENV as the only TOWER_* variables (both programs' parsers read
 * process.env), then puts back the environment as it was.
 */
export async function withTowerEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  clearTower();
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    clearTower();
    Object.assign(process.env, saved);
  }
}

/** A --config file NAME holding TEXT, in a fresh temporary directory. */
export function configFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tower-cfg-')), name);
  writeFileSync(path, text);
  return path;
}

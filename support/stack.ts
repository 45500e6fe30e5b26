import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { loadServices, REPO_ROOT, type Services } from './services.js';

/**
 * The services the drills break and repair: the ones `npm run services:up`
 * started under TOWER_STATE_DIR (default: the project's .tower). Their
 * ports are read back from the settings it wrote, so the service scripts
 * restart each server where it was.
 */
export interface Stack {
  stateDir: string;
  services: Services;
  /** Environment for scripts/services/*.sh: this stack's state dir and ports. */
  scriptEnv: Record<string, string>;
}

export function loadStack(stateDir = process.env.TOWER_STATE_DIR ?? join(REPO_ROOT, '.tower')): Stack {
  const dir = resolve(stateDir);
  const services = loadServices(join(dir, 'services.env'));
  const brokerPorts = services.brokers.map((b) => Number(b.split(':').at(-1)));
  const influxPort = new URL(services.influx.url).port || '80';
  return {
    stateDir: dir,
    services,
    scriptEnv: {
      ...(process.env as Record<string, string>),
      TOWER_STATE_DIR: dir,
      TOWER_KAFKA_PORT_BASE: String(Math.min(...brokerPorts)),
      TOWER_INFLUX_PORT: influxPort,
    },
  };
}

export class ServiceScriptError extends Error {
  override name = 'ServiceScriptError';
}

/** Runs scripts/services/<script>.sh for this stack; rejects with its output's tail on failure or after `timeoutMs`. */
export function serviceScript(stack: Stack, script: 'kafka' | 'influxdb', args: string[], timeoutMs = 180_000): Promise<void> {
  const child = spawn('bash', [join(REPO_ROOT, 'scripts/services', `${script}.sh`), ...args], {
    cwd: REPO_ROOT,
    env: stack.scriptEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolveRun, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolveRun();
      else {
        const why = signal ? `killed after ${timeoutMs / 1000} s` : `exit ${code}`;
        reject(
          new ServiceScriptError(`${script}.sh ${args.join(' ')} failed (${why}); see ${stack.stateDir}/logs:\n${output.split('\n').slice(-15).join('\n')}`),
        );
      }
    });
  });
}

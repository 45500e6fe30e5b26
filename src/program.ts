import yargs, { type Argv } from 'yargs';
import { ConfigError, failUsage, PRECEDENCE_NOTE } from './cli.js';
import { readConfigFile } from './configFile.js';
import { createLogger } from './log.js';
import { VERSION } from './version.js';

export const CONFIG_OPTION = { type: 'string', describe: 'JSON or YAML file of options, keyed by long flag name' } as const;

/**
 * The command line both programs share: TOWER_* environment, --config file,
 * --version, --help, and exit code 2 with one line for any bad input.
 */
export function programParser(program: string, args: string[], about: string, configKeys: string[], epilogue = PRECEDENCE_NOTE): Argv {
  return yargs(args)
    .scriptName(program)
    .usage(`$0 <command> [options]\n\n${about}`)
    .epilogue(epilogue)
    .env('TOWER')
    .option('config', CONFIG_OPTION)
    .config('config', CONFIG_OPTION.describe, (path) => readConfigFile(path, configKeys))
    .version(VERSION)
    .strictCommands()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((message, err) => failUsage(program, message ?? err?.message ?? 'invalid arguments'))
    .help();
}

/**
 * Runs a program's body and exits with the code it returns. A ConfigError
 * becomes one line on stderr and exit code 2; anything else is logged as fatal.
 */
export function runProgram(program: string, body: () => Promise<number>): void {
  body().then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof ConfigError) failUsage(program, err.message);
      createLogger(program).fatal({ err }, `${program} stopped on an error`);
      process.exit(1);
    },
  );
}

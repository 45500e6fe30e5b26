import { setFlagsFromString } from 'node:v8';

/**
 * Imported first by the agent's entry point, before any other module is
 * compiled. At one sample a second no function runs hot enough to repay
 * V8's optimizing compiler (TurboFan): its compile jobs cost more CPU than
 * they save and its code and type feedback about 6 MB of RSS
 * (docs/PERFORMANCE.md). Bytecode and the baseline compiler remain, and a
 * spool backlog still drains at thousands of samples a second.
 */
setFlagsFromString('--no-opt');

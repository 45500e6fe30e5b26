// Preloaded into a benchmarked process (node --require): counts every child
// process it starts and writes the count to $TOWER_SPAWN_COUNT_FILE each second.
const childProcess = require('node:child_process');
const { syncBuiltinESMExports } = require('node:module');
const { writeFileSync } = require('node:fs');

let spawns = 0;
for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
  const original = childProcess[name];
  childProcess[name] = function counted(...args) {
    spawns += 1;
    return original.apply(this, args);
  };
}
syncBuiltinESMExports();

const file = process.env.TOWER_SPAWN_COUNT_FILE;
if (file) setInterval(() => writeFileSync(file, String(spawns)), 1000).unref();

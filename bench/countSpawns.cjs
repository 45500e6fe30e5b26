// Preloaded into a benchmarked process (node --require): counts every child
// process it starts and writes the count to $TOWER_SPAWN_COUNT_FILE at each
// start, so that a process that spawns nothing does nothing more here. The
// file is written once as this loads, which shows that it did. ES module
// imports see the hooks only after syncBuiltinESMExports, from node:module,
// which CommonJS entries (the bundle, the single executable) never load:
// $TOWER_SPAWN_COUNT_ESM=1 asks for it, so that the counter adds little to
// the RSS it is measured beside.
const childProcess = require('node:child_process');
const { writeFileSync } = require('node:fs');

const file = process.env.TOWER_SPAWN_COUNT_FILE;
let spawns = 0;
if (file) writeFileSync(file, '0');
for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
  const original = childProcess[name];
  childProcess[name] = function counted(...args) {
    spawns += 1;
    if (file) writeFileSync(file, String(spawns));
    return original.apply(this, args);
  };
}
if (process.env.TOWER_SPAWN_COUNT_ESM === '1') require('node:module').syncBuiltinESMExports();

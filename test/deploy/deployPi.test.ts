// deploy/pi: install.sh, uninstall.sh, ensure-hosts, the systemd units and
// load-test.sh, run for real against a temporary --root and a fake dist dir.
// Nothing here touches the machine's own /etc: every install.sh and
// uninstall.sh call goes through `installer()`, which insists on --root.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { agentOptions, parseAgentArgs } from '../../src/agent/cli.js';
import { withTowerEnv } from '../support/towerEnv.js';
import { scratchDirs } from './scratch.js';

const DEPLOY = fileURLToPath(new URL('../../deploy/pi/', import.meta.url));
const script = (name: string) => join(DEPLOY, name);
const LOOP = 'while true; do :; done';
// The wrapper for tower-agent.cjs runs `node`: the one running these tests.
const PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;

const tempDir = scratchDirs('tower-deploy');

function write(path: string, text: string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, mode);
}

/** Small stand-ins named like the real executables of `npm run build:pi`. */
function fakeDist(): string {
  const dist = tempDir('dist');
  write(join(dist, 'tower-agent-linux-arm64'), '#!/bin/sh\necho "fake arm64 $*"\n', 0o755);
  write(join(dist, 'tower-agent-linux-armv7l'), '#!/bin/sh\necho "fake armv7l $*"\n', 0o755);
  write(join(dist, 'tower-agent.cjs'), 'console.log(["fake cjs", ...process.argv.slice(2)].join(" "));\n', 0o755);
  return dist;
}

const HOSTS = '127.0.0.1\tlocalhost\n::1 localhost ip6-localhost\n# lab printer, not ours\n192.168.5.5 printer\n';

/** A Pi's root with unrelated files, some in the directories install.sh uses. */
function fakeRoot(hosts = HOSTS): string {
  const root = tempDir('root');
  write(join(root, 'etc/hosts'), hosts);
  write(join(root, 'etc/motd'), 'welcome to the lab pi\n');
  write(join(root, 'etc/systemd/system/ssh.service'), '[Service]\nExecStart=/usr/sbin/sshd -D\n');
  write(join(root, 'usr/local/bin/other-tool'), '#!/bin/sh\n', 0o755);
  mkdirSync(join(root, 'var/lib/private'), { recursive: true });
  return root;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function bash(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync('bash', args, { encoding: 'utf8', env: { ...process.env, PATH, ...env }, timeout: 20_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** install.sh or uninstall.sh, never without a temporary --root. */
function installer(name: 'install.sh' | 'uninstall.sh', args: string[], expectStatus = 0): Run {
  const at = args.indexOf('--root');
  assert.ok(at >= 0 && args[at + 1]?.startsWith(tmpdir()), `refusing to run ${name} without a temporary --root: ${args.join(' ')}`);
  const r = bash([script(name), ...args]);
  assert.equal(r.status, expectStatus, `${name} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}

const install = (root: string, dist: string, ...more: string[]) => installer('install.sh', ['--root', root, '--dist', dist, '--machine', 'aarch64', ...more]);

/** Every file, directory and link under root: content, mode and mtime. */
function snapshot(root: string, withTimes = false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = join(rel, name);
      const st = lstatSync(join(root, path));
      const time = withTimes ? ` mtime ${st.mtimeMs}` : '';
      if (st.isSymbolicLink()) out[path] = `link -> ${readlinkSync(join(root, path))}`;
      else if (st.isDirectory()) {
        out[`${path}/`] = `dir ${(st.mode & 0o7777).toString(8)}`;
        walk(path);
      } else out[path] = `file ${(st.mode & 0o7777).toString(8)}${time}\n${readFileSync(join(root, path), 'utf8')}`;
    }
  };
  walk('');
  return out;
}

const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8');
const linesNaming = (hosts: string, name: string) => hosts.split('\n').filter((line) => (line.split('#')[0] ?? '').trim().split(/\s+/).slice(1).includes(name));

test('install picks the executable for the machine: arm64, armv7l, else the bundle with a node wrapper', () => {
  const dist = fakeDist();
  const cases = [
    ['aarch64', 'tower-agent-linux-arm64'],
    ['armv7l', 'tower-agent-linux-armv7l'],
  ] as const;
  for (const [machine, file] of cases) {
    const root = fakeRoot();
    const r = installer('install.sh', ['--root', root, '--dist', dist, '--machine', machine, '--nuc-ip', '192.168.0.10']);
    assert.match(r.stdout, new RegExp(`machine: ${machine} -> ${file}`));
    assert.equal(read(root, 'usr/local/bin/tower-agent'), read(dist, file));
    assert.equal(lstatSync(join(root, 'usr/local/bin/tower-agent')).mode & 0o777, 0o755);
    assert.equal(existsSync(join(root, 'usr/local/lib/tower/tower-agent.cjs')), false);
  }

  // Anything else: the bundle, run by a wrapper with the system's node.
  const root = fakeRoot();
  const r = installer('install.sh', ['--root', root, '--dist', dist, '--machine', 'x86_64', '--nuc-ip', '192.168.0.10']);
  assert.match(r.stdout, /machine: x86_64 -> tower-agent\.cjs/);
  assert.equal(read(root, 'usr/local/lib/tower/tower-agent.cjs'), read(dist, 'tower-agent.cjs'));
  const wrapper = read(root, 'usr/local/bin/tower-agent');
  assert.match(wrapper, /^#!\/bin\/sh\n/);
  assert.match(wrapper, /-ge 18/);
  const ran = spawnSync(join(root, 'usr/local/bin/tower-agent'), ['run', '--config', '/etc/tower/agent.yaml'], {
    encoding: 'utf8',
    env: { ...process.env, PATH },
  });
  assert.equal(ran.stdout, 'fake cjs run --config /etc/tower/agent.yaml\n', ran.stderr);

  // The same root moved to an ARM executable: the wrapper's bundle goes.
  installer('install.sh', ['--root', root, '--dist', dist, '--machine', 'aarch64']);
  assert.equal(read(root, 'usr/local/bin/tower-agent'), read(dist, 'tower-agent-linux-arm64'));
  assert.equal(existsSync(join(root, 'usr/local/lib/tower/tower-agent.cjs')), false);
  assert.doesNotMatch(read(root, 'etc/tower/installed.manifest'), /tower-agent\.cjs/);

  // --binary wins over the machine; no dist and no --binary is an error.
  installer('install.sh', ['--root', root, '--binary', join(dist, 'tower-agent-linux-armv7l'), '--machine', 'x86_64']);
  assert.equal(read(root, 'usr/local/bin/tower-agent'), read(dist, 'tower-agent-linux-armv7l'));
  const missing = installer('install.sh', ['--root', fakeRoot(), '--dist', tempDir('empty'), '--machine', 'aarch64', '--nuc-ip', '10.0.0.1'], 1);
  assert.match(missing.stderr, /tower-agent-linux-arm64 is missing/);
});

test('agent.yaml names the three brokers of --nuc-host and parses as the agent reads it', async () => {
  const dist = fakeDist();
  const root = fakeRoot();
  install(root, dist, '--nuc-ip', '192.168.0.10', '--nuc-host', 'labnuc');
  const yaml = join(root, 'etc/tower/agent.yaml');
  assert.match(read(root, 'etc/tower/agent.yaml'), /^brokers: labnuc:9090,labnuc:9091,labnuc:9092$/m);

  await withTowerEnv({}, async () => {
    const parsed = await parseAgentArgs(['run', '--config', yaml]);
    if (parsed.command === 'sample') assert.fail('parsed as sample');
    const options = agentOptions(parsed.argv);
    assert.deepEqual(options.brokers, ['labnuc:9090', 'labnuc:9091', 'labnuc:9092']);
    assert.equal(options.topic, 'resource');
  });

  // An existing agent.yaml is kept (and said so) unless --force.
  writeFileSync(yaml, `${read(root, 'etc/tower/agent.yaml')}spool-max-mb: 16\n`);
  const kept = install(root, dist, '--nuc-ip', '192.168.0.10', '--nuc-host', 'labnuc');
  assert.match(kept.stdout, /kept: .*agent\.yaml/);
  assert.match(read(root, 'etc/tower/agent.yaml'), /spool-max-mb: 16/);
  install(root, dist, '--nuc-ip', '192.168.0.10', '--nuc-host', 'labnuc', '--force');
  assert.doesNotMatch(read(root, 'etc/tower/agent.yaml'), /spool-max-mb: 16/);
  assert.equal(read(root, 'etc/tower/nuc-host').trim().split('\n').pop(), '192.168.0.10 labnuc');
});

test('the hosts line: added once, a stale one replaced, and a second run changes no byte', () => {
  const dist = fakeDist();
  const root = fakeRoot(`${HOSTS}10.1.1.1 nuc\n192.168.5.6 scanner # also unrelated\n`);
  const first = install(root, dist, '--nuc-ip', '192.168.0.10');
  assert.match(first.stdout, /replaced: '10\.1\.1\.1 nuc' with '192\.168\.0\.10 nuc'/);
  const hosts = read(root, 'etc/hosts');
  assert.equal(hosts, `${HOSTS}192.168.0.10 nuc\n192.168.5.6 scanner # also unrelated\n`);
  assert.deepEqual(linesNaming(hosts, 'nuc'), ['192.168.0.10 nuc']);
  assert.match(read(root, 'etc/tower/installed.manifest'), /^hosts 192\.168\.0\.10 nuc$/m);

  // Again, and without --nuc-ip: the address is taken from the line.
  const before = snapshot(root, true);
  const second = install(root, dist);
  assert.match(second.stdout, /NUC address: 192\.168\.0\.10/);
  assert.match(second.stdout, /already present: '192\.168\.0\.10 nuc'/);
  assert.match(second.stdout, /nothing to change: all already present/);
  assert.doesNotMatch(second.stdout, /installed:|replaced:|added:|recorded:/);
  assert.deepEqual(snapshot(root, true), before);

  // No line for the name and no --nuc-ip: a clear refusal.
  const refused = installer('install.sh', ['--root', fakeRoot(), '--dist', dist, '--machine', 'aarch64'], 1);
  assert.match(refused.stderr, /--nuc-ip is required/);
});

test('ensure-hosts, run with the root paths, puts back a line that vanished and keeps the rest', () => {
  const dist = fakeDist();
  const root = fakeRoot();
  install(root, dist, '--nuc-ip', '192.168.0.10');
  const ensure = [join(root, 'usr/local/lib/tower/ensure-hosts'), '--hosts', join(root, 'etc/hosts'), '--entry', join(root, 'etc/tower/nuc-host')];
  assert.equal(lstatSync(ensure[0] as string).mode & 0o777, 0o755);

  // What cloud-init's manage_etc_hosts leaves after a reboot: its template, no NUC.
  const rebooted = '127.0.0.1 localhost\n127.0.1.1 raspberrypi\n';
  writeFileSync(join(root, 'etc/hosts'), rebooted);
  assert.equal(bash([...ensure, '--check']).status, 1);
  const added = bash(ensure);
  assert.equal(added.status, 0, added.stderr);
  assert.match(added.stdout, /^added: '192\.168\.0\.10 nuc'/);
  assert.equal(read(root, 'etc/hosts'), `${rebooted}192.168.0.10 nuc\n`);
  const again = bash(ensure);
  assert.match(again.stdout, /^already present/);
  assert.equal(read(root, 'etc/hosts'), `${rebooted}192.168.0.10 nuc\n`);

  // A line that gives the name another address among other names loses only the name.
  writeFileSync(join(root, 'etc/hosts'), `${rebooted}10.9.9.9 nas NUC # old\n`);
  bash(ensure);
  assert.equal(read(root, 'etc/hosts'), `${rebooted}10.9.9.9 nas # old\n192.168.0.10 nuc\n`);
});

test('uninstall removes exactly what install added: other hosts lines and files survive', () => {
  const dist = fakeDist();
  const root = fakeRoot();
  const pristine = snapshot(root);
  install(root, dist, '--nuc-ip', '192.168.0.10');
  // What systemd makes for StateDirectory= with DynamicUser=yes: the spool.
  write(join(root, 'var/lib/private/tower-agent/spool/00000001.seg'), 'spooled');
  symlinkSync('private/tower-agent', join(root, 'var/lib/tower-agent'));

  // Without --purge the config and the spool stay; everything else goes.
  installer('uninstall.sh', ['--root', root]);
  const kept = snapshot(root);
  const expected = { ...pristine };
  for (const path of [
    'etc/tower/',
    'etc/tower/agent.yaml',
    'etc/tower/nuc-host',
    'var/lib/private/tower-agent/',
    'var/lib/private/tower-agent/spool/',
    'var/lib/private/tower-agent/spool/00000001.seg',
    'var/lib/tower-agent',
  ]) {
    assert.ok(kept[path], `uninstall without --purge should keep ${path}`);
    expected[path] = kept[path] as string;
  }
  assert.deepEqual(kept, expected);
  assert.equal(read(root, 'etc/hosts'), HOSTS);

  // --purge: back to the very tree before install, byte for byte.
  installer('uninstall.sh', ['--root', root, '--purge']);
  assert.deepEqual(snapshot(root), pristine);

  // A hosts line that was there before install is not install's to remove.
  const hostsWithNuc = `${HOSTS}192.168.0.10 nuc\n`;
  const other = fakeRoot(hostsWithNuc);
  const before = snapshot(other);
  install(other, dist);
  assert.doesNotMatch(read(other, 'etc/tower/installed.manifest'), /^hosts /m);
  installer('uninstall.sh', ['--root', other, '--purge']);
  assert.deepEqual(snapshot(other), before);
});

test('the systemd units pass systemd-analyze verify, hardened as asked', (t) => {
  // `verify` checks that ExecStart= exists on this machine, and
  // /usr/local/bin/tower-agent and /usr/local/lib/tower/ensure-hosts are not
  // installed here: it runs on copies whose ExecStart= points at /bin/true,
  // every other line as shipped. (`--root=` needs a whole booted tree.)
  const which = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (which.error) {
    assert.fail(`systemd-analyze is missing (${which.error.message}): install Debian's systemd package (apt-get install systemd); this test does not skip`);
  }
  const units = ['tower-agent.service', 'tower-hosts.service', 'tower-hosts.path'];
  const dir = tempDir('units');
  for (const unit of units) {
    const text = read(DEPLOY, unit).replace(/^ExecStart=\/usr\/local\/\S+/m, 'ExecStart=/bin/true');
    writeFileSync(join(dir, unit), text);
  }
  const verify = spawnSync('systemd-analyze', ['verify', ...units.map((u) => join(dir, u))], { encoding: 'utf8' });
  assert.equal(verify.status, 0, `systemd-analyze verify failed:\n${verify.stdout}${verify.stderr}`);
  // verify exits 0 on unknown keys and bad values, warning on stderr only.
  const warnings = `${verify.stdout}${verify.stderr}`.split('\n').filter((line) => /tower-/.test(line));
  assert.deepEqual(warnings, [], 'systemd-analyze verify warned about the units');

  const agent = read(DEPLOY, 'tower-agent.service');
  const has = (line: string) => assert.match(agent, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), `tower-agent.service lacks ${line}`);
  has('ExecStart=/usr/local/bin/tower-agent run --config /etc/tower/agent.yaml');
  for (const line of [
    'DynamicUser=yes',
    'StateDirectory=tower-agent',
    'Restart=always',
    'Wants=network-online.target tower-hosts.service',
    'After=network-online.target tower-hosts.service',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectControlGroups=yes',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    'SystemCallFilter=@system-service',
    'SystemCallArchitectures=native',
    'LockPersonality=yes',
    'RestrictRealtime=yes',
    'RestrictNamespaces=yes',
    'CapabilityBoundingSet=',
    'Environment=NODE_OPTIONS=--jitless',
  ])
    has(line);
  assert.match(agent, /^RestartSec=\d+s?$/m);
  assert.match(agent, /^TimeoutStopSec=\d+s?$/m);
  // Node's JIT needs writable+executable memory; /proc/stat must stay visible.
  assert.doesNotMatch(agent, /^\s*MemoryDenyWriteExecute=/m);
  assert.doesNotMatch(agent, /^\s*ProcSubset=/m);
  assert.match(read(DEPLOY, 'tower-hosts.service'), /^Before=tower-agent\.service/m);

  const security = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', join(DEPLOY, 'tower-agent.service')], { encoding: 'utf8' });
  const score = /Overall exposure level for tower-agent\.service: ([\d.]+)/.exec(security.stdout)?.[1];
  assert.ok(score, `no exposure score from systemd-analyze security:\n${security.stdout}${security.stderr}`);
  t.diagnostic(`systemd-analyze security: tower-agent.service exposure ${score}`);
  assert.ok(Number(score) <= 2.0, `exposure ${score} is above 2.0 (OK starts below 4.0); the hardening has slipped`);
});

/** Processes under `pid` (itself excluded), each with its command line (NULs as spaces). */
function descendants(pid: number): { pid: number; cmd: string }[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const under = (p: number): boolean => {
    for (let q = parent.get(p); q !== undefined && q > 1; q = parent.get(q)) if (q === pid) return true;
    return false;
  };
  const out: { pid: number; cmd: string }[] = [];
  for (const p of parent.keys()) {
    if (!under(p)) continue;
    try {
      out.push({ pid: p, cmd: readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0$/, '').replaceAll('\0', ' ') });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The busy loops (`sh -c "while true; do :; done"`) under `pid`. */
const loopsUnder = (pid: number) =>
  descendants(pid)
    .filter((p) => p.cmd === `sh -c ${LOOP}`)
    .map((p) => p.pid);

const alive = (pid: number) => existsSync(`/proc/${pid}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A `docker` first on PATH: `info` fails (no engine), or it plays one. */
function fakeDocker(engine: boolean): { bin: string; log: string } {
  const bin = tempDir('bin');
  const log = join(bin, 'docker.log');
  write(
    join(bin, 'docker'),
    `#!/bin/sh
echo "$$ $*" >>"${log}"
case "$1" in
  info) ${engine ? 'exit 0' : 'echo "Cannot connect to the Docker daemon" >&2; exit 1'} ;;
  run) exec sleep 30 ;;
  *) exit 0 ;;
esac
`,
    0o755,
  );
  return { bin, log };
}

function runLoadTest(args: string[], docker: { bin: string }) {
  // `times` after it: user and system CPU of everything it ran (waited for).
  const child = spawn('bash', ['-c', 'bash "$0" "$@"; status=$?; times; exit $status', script('load-test.sh'), ...args], {
    env: { ...process.env, PATH: `${docker.bin}${delimiter}${PATH}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const started = Date.now();
  const done = new Promise<{ code: number | null; ms: number; out: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, ms: Date.now() - started, out })),
  );
  let finished = false;
  void done.then(() => (finished = true));
  /** For a failed test: SIGTERM to everything still running under it, then wait. */
  const stop = async () => {
    if (finished) return;
    for (const p of descendants(child.pid as number)) {
      try {
        process.kill(p.pid, 'SIGTERM');
      } catch {
        // gone meanwhile
      }
    }
    await done;
  };
  return { child, done, stop };
}

/** Seconds of CPU from the second line of `times` (the children's user and system). */
function childCpu(out: string): number {
  const lines = out.trim().split('\n');
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines[lines.length - 1] ?? '');
  assert.ok(m, `no \`times\` line in:\n${out}`);
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

test('load-test.sh 2 burns CPU in sh loops when no Docker engine answers, and stops by itself', async (t) => {
  const { child, done, stop } = runLoadTest(['2', '--workers', '2'], fakeDocker(false));
  t.after(stop);
  await sleep(1000);
  const loops = loopsUnder(child.pid as number);
  assert.equal(loops.length, 2, 'two busy loops while it runs');
  const everything = descendants(child.pid as number);
  const { code, ms, out } = await done;
  assert.equal(code, 0, out);
  assert.ok(ms < 4000, `took ${ms} ms for 2 s`);
  assert.match(out, /no Docker engine answers: 2 x sh -c "while true; do :; done" for 2 s/);
  const ran = Number(/stopped 2 loop\(s\) after (\d+\.\d) s/.exec(out)?.[1]);
  assert.ok(ran >= 2 && ran < 4, `reported ${ran} s of load for 2 s:\n${out}`);
  // Two loops for 2 s give up to 4 s of CPU; 0.5 s leaves room for a busy
  // machine, while loops that did not spin would show about 0.
  const cpu = childCpu(out);
  t.diagnostic(`load-test.sh 2 --workers 2: ${cpu.toFixed(2)} s of CPU in ${ms} ms`);
  assert.ok(cpu >= 0.5, `only ${cpu} s of CPU in 2 s with 2 workers`);
  assert.deepEqual(loops.filter(alive), [], 'no loop may outlive the script');
  assert.deepEqual(
    everything.filter((p) => alive(p.pid)),
    [],
    'nothing it started may outlive it',
  );
});

test('load-test.sh stops every loop at once on SIGTERM', async (t) => {
  const { child, done, stop } = runLoadTest(['30'], fakeDocker(false));
  t.after(stop);
  let loops: number[] = [];
  for (let i = 0; i < 40 && loops.length === 0; i++) {
    await sleep(50);
    loops = loopsUnder(child.pid as number);
  }
  assert.equal(loops.length, 1);
  // The load-test script itself (the child of the `bash -c` above).
  const scriptPid = descendants(child.pid as number).find((p) => p.cmd.startsWith(`bash ${script('load-test.sh')}`))?.pid;
  assert.ok(scriptPid, 'load-test.sh is not running');
  const everything = descendants(child.pid as number);
  const sent = Date.now();
  process.kill(scriptPid, 'SIGTERM');
  const { ms, out } = await done;
  assert.ok(ms < 31_000 && Date.now() - sent < 2000, `took ${Date.now() - sent} ms to stop after SIGTERM`);
  assert.match(out, /terminated/);
  assert.deepEqual(loops.filter(alive), [], 'the loop must die with the script');
  assert.deepEqual(
    everything.filter((p) => alive(p.pid)),
    [],
    'nothing it started may outlive it (the sleep neither)',
  );
});

test('load-test.sh runs busybox in Docker when an engine answers, and removes the containers', async (t) => {
  const docker = fakeDocker(true);
  const { done, stop } = runLoadTest(['1', '--workers', '2'], docker);
  t.after(stop);
  const { code, ms, out } = await done;
  assert.equal(code, 0, out);
  assert.ok(ms < 3000, `took ${ms} ms for 1 s`);
  const calls = readFileSync(docker.log, 'utf8').trim().split('\n');
  const runs = calls.filter((c) => / run /.test(c));
  assert.equal(runs.length, 2, calls.join('\n'));
  // The clients start side by side, so their lines come in either order.
  const names = runs.map((r) => (/--name (\S+)/.exec(r) as RegExpExecArray)[1] as string).sort();
  for (const [i, name] of names.entries()) assert.match(name, new RegExp(`^tower-load-\\d+-${i + 1}$`));
  for (const r of runs) assert.match(r, new RegExp(`^\\d+ run --rm --name tower-load-\\d+-\\d busybox timeout 3 sh -c ${LOOP.replace(/[;:]/g, '\\$&')}$`));
  assert.ok(
    calls.some((c) => c.endsWith(` rm -f ${names.join(' ')}`)),
    `no docker rm -f ${names.join(' ')} in:\n${calls.join('\n')}`,
  );
  // The attached `docker run` clients are gone too.
  for (const r of runs) assert.equal(alive(Number(r.split(' ')[0])), false, `docker client ${r} still runs`);
  assert.match(out, /a Docker engine answers: 2 x docker run --rm --name tower-load-\d+-N busybox/);
});

test('the deploy scripts answer --help and refuse unknown flags', () => {
  for (const name of ['install.sh', 'uninstall.sh', 'load-test.sh']) {
    const help = bash([script(name), '--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: /);
    assert.notEqual(bash([script(name), '--no-such-flag', '--root', tempDir('x')]).status, 0);
  }
  assert.equal(bash([script('ensure-hosts'), '--help']).status, 0);
});

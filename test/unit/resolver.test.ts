import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { parseHostsFile } from '../../src/kafka/hostsFile.js';
import { BrokerResolver } from '../../src/kafka/resolver.js';

test('parseHostsFile maps every name on a line, ignores comments, and keeps file order', () => {
  const hosts = parseHostsFile('127.0.0.1 localhost\n# 10.0.0.9 old-nuc\n192.168.0.10  nuc  NUC-Lab # the NUC\n::1 localhost ip6-localhost\nnot-an-ip name\n');
  assert.deepEqual(hosts.get('nuc'), ['192.168.0.10']);
  assert.deepEqual(hosts.get('nuc-lab'), ['192.168.0.10']);
  assert.deepEqual(hosts.get('localhost'), ['127.0.0.1', '::1']);
  assert.equal(hosts.get('old-nuc'), undefined);
  assert.equal(hosts.get('name'), undefined);
});

function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

test('a broker name missing from the hosts file is reported once, with the line to add, then found again', async () => {
  const hostsFile = join(mkdtempSync(join(tmpdir(), 'tower-hosts-')), 'hosts');
  writeFileSync(hostsFile, '127.0.0.1 localhost\n');
  const { logger, lines } = capturingLogger();
  const resolver = new BrokerResolver({ hostsFile, logger });
  const name = 'tower-test-nuc.invalid';
  for (let i = 0; i < 5; i += 1) await assert.rejects(resolver.resolve(name), { code: 'ENOTFOUND' });
  const errors = lines.filter((l) => l.level === 50);
  assert.equal(errors.length, 1);
  assert.match(errors[0]?.msg ?? '', new RegExp(`add the line "<NUC_IP> ${name.replace('.', '\\.')}" to ${hostsFile}`));
  writeFileSync(hostsFile, `127.0.0.1 localhost\n127.0.0.7 ${name}\n`);
  assert.deepEqual(await resolver.resolve(name), [{ address: '127.0.0.7', family: 4 }]);
  assert.ok(lines.some((l) => l.msg === 'broker name resolves again'));
});

test('the lookup hook answers net.connect in both single and all-addresses form', async () => {
  const hostsFile = join(mkdtempSync(join(tmpdir(), 'tower-hosts-')), 'hosts');
  writeFileSync(hostsFile, '127.0.0.9 nuc\n');
  const resolver = new BrokerResolver({ hostsFile, logger: pino({ level: 'silent' }) });
  const single = await new Promise((resolve) => resolver.lookup('nuc', {}, (err, address, family) => resolve([err, address, family])));
  assert.deepEqual(single, [null, '127.0.0.9', 4]);
  const all = await new Promise((resolve) => resolver.lookup('nuc', { all: true }, (err, addresses) => resolve([err, addresses])));
  assert.deepEqual(all, [null, [{ address: '127.0.0.9', family: 4 }]]);
});

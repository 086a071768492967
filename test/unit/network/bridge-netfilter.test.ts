import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBridgeNetfilter } from '../../../node-agent/network/bridge-netfilter.js';
import type { CommandRunner } from '../../../node-agent/network/commands.js';
import { collectingLogger } from '../../support/logger.js';

describe('ensureBridgeNetfilter', () => {
  let procSys: string;
  const setting = () => join(procSys, 'net', 'bridge', 'bridge-nf-call-iptables');
  const write = (value: string) => {
    mkdirSync(join(procSys, 'net', 'bridge'), { recursive: true });
    writeFileSync(setting(), value);
  };
  /** A runner recording its commands; `modprobe` makes the setting appear (as loading br_netfilter does) unless told to fail. */
  const runner = (modprobeFails = false) => {
    const ran: string[] = [];
    const run: CommandRunner = async (file, args) => {
      ran.push([file, ...args].join(' '));
      if (modprobeFails) return { exitCode: 1, signal: null, stdout: '', stderr: 'modprobe: FATAL: Module br_netfilter not found', timedOut: false, overflowed: false };
      write('0\n');
      return { exitCode: 0, signal: null, stdout: '', stderr: '', timedOut: false, overflowed: false };
    };
    return { run, ran };
  };

  beforeEach(() => (procSys = mkdtempSync(join(tmpdir(), 'berth-procsys-'))));
  afterEach(() => rmSync(procSys, { recursive: true, force: true }));

  it('leaves a setting that is on alone, running nothing', async () => {
    write('1\n');
    const { run, ran } = runner();
    expect(await ensureBridgeNetfilter(run, collectingLogger().logger, procSys)).to.equal(true);
    expect(ran).to.deep.equal([]);
    expect(readFileSync(setting(), 'utf8')).to.equal('1\n');
  });

  it('turns an off setting on', async () => {
    write('0\n');
    const { run } = runner();
    expect(await ensureBridgeNetfilter(run, collectingLogger().logger, procSys)).to.equal(true);
    expect(readFileSync(setting(), 'utf8').trim()).to.equal('1');
  });

  it('loads br_netfilter when the setting is missing, then turns it on', async () => {
    const { run, ran } = runner();
    expect(await ensureBridgeNetfilter(run, collectingLogger().logger, procSys)).to.equal(true);
    expect(ran).to.deep.equal(['modprobe br_netfilter']);
    expect(readFileSync(setting(), 'utf8').trim()).to.equal('1');
  });

  it('says what will not work when the module cannot be loaded, without throwing', async () => {
    const { run } = runner(true);
    const { logger, lines } = collectingLogger();
    expect(await ensureBridgeNetfilter(run, logger, procSys)).to.equal(false);
    const error = lines.find((l) => l.level === 'error');
    expect(error?.message).to.match(/same node gets no answer.*br_netfilter/);
    expect(String(error?.error)).to.match(/Module br_netfilter not found/);
  });
});

import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BerthRuntimeCli, defaultBinaryPath } from '../../../node-agent/runtime/berth-runtime-cli.js';
import { RuntimeCommandError } from '../../../node-agent/runtime/errors.js';

describe('runtime/BerthRuntimeCli', () => {
  let dir: string;
  let cli: BerthRuntimeCli;
  const state = { ociVersion: '1.1.0', id: 'known', status: 'running', pid: 42, bundle: '/b', annotations: {}, monitorPid: 41 };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-rt-cli-'));
    const fake = join(dir, 'fake');
    // A stand-in for the binary: prints canned answers and records its arguments.
    await writeFile(
      fake,
      [
        '#!/bin/sh',
        `printf '%s|' "$@" >> '${join(dir, 'args')}'; echo >> '${join(dir, 'args')}'`,
        'case "$3 $4" in',
        `  "state known") echo '${JSON.stringify(state)}';;`,
        `  "list "*) echo '[${JSON.stringify(state)}]';;`,
        '  "kill "*|"delete "*|"start "*|"run --detach") ;;',
        '  *) echo "container does not exist" >&2; exit 2;;',
        'esac',
      ].join('\n') + '\n',
    );
    await chmod(fake, 0o755);
    cli = new BerthRuntimeCli(fake, '/state root');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses state and list', async () => {
    expect(await cli.state('known')).to.deep.equal(state);
    expect(await cli.list()).to.deep.equal([state]);
  });

  it('answers undefined for an id berth-runtime does not know', async () => {
    expect(await cli.state('unknown')).to.equal(undefined);
  });

  it('passes arguments without a shell (spaces stay inside one argument)', async () => {
    await cli.kill('known', 'SIGKILL', true);
    await cli.delete('known', true);
    const lines = (await readFile(join(dir, 'args'), 'utf8')).trim().split('\n');
    expect(lines).to.include('--root|/state root|kill|--all|known|SIGKILL|');
    expect(lines).to.include('--root|/state root|delete|--force|known|');
  });

  it('runs create and start as one `run --detach` with the same options as create', async () => {
    await cli.runDetached('known', '/bundle dir', '/log', '/pid');
    const lines = (await readFile(join(dir, 'args'), 'utf8')).trim().split('\n');
    expect(lines).to.include('--root|/state root|run|--detach|--bundle|/bundle dir|--pid-file|/pid|--container-log|/log|known|');
  });

  it('asks the monitor to rotate the log when given a rotation', async () => {
    const rotating = new BerthRuntimeCli(cli.binary, '/state root', { maxBytes: 4096, maxFiles: 3 });
    await rotating.runDetached('known', '/bundle', '/log');
    const lines = (await readFile(join(dir, 'args'), 'utf8')).trim().split('\n');
    expect(lines).to.include('--root|/state root|run|--detach|--bundle|/bundle|--container-log|/log|--log-max-size|4096|--log-max-files|3|known|');
  });

  it('turns a failure into RuntimeCommandError carrying stderr and the exit code', async () => {
    let error: unknown;
    try {
      await cli.create('new', '/bundle', '/log', '/pid');
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(RuntimeCommandError);
    expect(error).to.include({ exitCode: 2 });
    expect((error as Error).message).to.equal('berth-runtime create --bundle /bundle --pid-file /pid --container-log /log new failed (exit 2): container does not exist');
  });

  it('finds the binary node-gyp builds, from the repository root', () => {
    const path = defaultBinaryPath();
    expect(path.endsWith('/node-agent/native/build/Release/berth-runtime')).to.equal(true);
    expect(existsSync(join(dirname(path), '../../../../package.json'))).to.equal(true);
  });
});

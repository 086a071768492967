/**
 * The agent names its V8 options and environment on its `#!` line (node-agent/main.ts); `berth up`
 * reads them from there (agentLaunch). These tests catch a line of the wrong shape and an option
 * this node no longer accepts (a Node upgrade can drop a V8 flag), either of which would make
 * every agent fail to start or start without its memory settings.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { agentLaunch } from '../../../cli/local-cluster/paths.js';

const run = promisify(execFile);

describe('berth-agent launch (its #! line)', () => {
  it('names Node options that this node starts with, without a warning', async () => {
    const launch = agentLaunch();
    expect(launch.nodeOptions).to.not.be.empty;
    const { stdout, stderr } = await run(process.execPath, [...launch.nodeOptions, '-p', 'JSON.stringify(process.execArgv)'], { env: { ...process.env, ...launch.env } });
    expect(stderr).to.equal('');
    expect((JSON.parse(stdout) as string[]).slice(0, launch.nodeOptions.length)).to.deep.equal(launch.nodeOptions);
  });

});

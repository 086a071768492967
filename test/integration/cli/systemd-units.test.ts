import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AGENT_ARGS_VARIABLE, CONTROL_PLANE_ARGS_VARIABLE } from '../../../cli/init/env-files.js';
import { DEFAULT_CONFIG_DIR, machineLayout, DEFAULT_STATE_DIR } from '../../../cli/init/layout.js';
import { REPO_ROOT } from '../../support/cli.js';

const exec = promisify(execFile);

describe('the systemd units in manifests/systemd', () => {
  const layout = machineLayout(DEFAULT_CONFIG_DIR, DEFAULT_STATE_DIR);
  const units = [
    { file: 'berth-control-plane.service', binary: '/usr/local/bin/berth-control-plane', env: layout.controlPlaneEnv, variable: CONTROL_PLANE_ARGS_VARIABLE },
    { file: 'berth-agent.service', binary: '/usr/local/bin/berth-agent', env: layout.agentEnv, variable: AGENT_ARGS_VARIABLE },
  ];

  for (const unit of units) {
    it(`${unit.file} reads the env file berth init/join write and passes its variable to the program`, () => {
      const text = readFileSync(join(REPO_ROOT, 'manifests', 'systemd', unit.file), 'utf8');
      expect(text).to.include(`EnvironmentFile=${unit.env}\n`);
      expect(text).to.match(new RegExp(`^ExecStart=${unit.binary} \\$${unit.variable} `, 'm'));
    });

    it(`${unit.file} passes systemd-analyze verify`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'berth-units-'));
      try {
        // The program is not installed here (npm link puts it in /usr/local/bin): verify the unit around a stand-in.
        const text = readFileSync(join(REPO_ROOT, 'manifests', 'systemd', unit.file), 'utf8').replace(unit.binary, '/bin/true');
        writeFileSync(join(dir, unit.file), text);
        const { stdout, stderr } = await exec('systemd-analyze', ['verify', join(dir, unit.file)]);
        expect(`${stdout}${stderr}`.trim()).to.equal('');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTestNodeTlsDir } from '../../support/test-pki.js';

const agentMain = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'node-agent', 'main.js');

/** Runs berth-agent until it exits by itself; resolves with its exit code and output. */
function runAgent(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [agentMain, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("berth-agent's credentials (--tls-dir)", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-agent-credentials-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const flags = (name: string, tlsDir: string) => ['--server', '127.0.0.1:1', '--name', name, '--root', join(dir, 'root'), '--tls-dir', tlsDir];

  it('exits naming the missing file, and makes no state directory', async () => {
    const { code, output } = await runAgent(flags('node-a', join(dir, 'nothing-here')));
    expect(code).to.equal(1);
    expect(output).to.contain(`${join(dir, 'nothing-here', 'ca.crt')}: cannot read (ENOENT)`);
    expect(() => rmSync(join(dir, 'root'))).to.throw(/ENOENT/);
  });

  it("exits when the certificate is another node's, naming both", async () => {
    const tlsDir = await writeTestNodeTlsDir(join(dir, 'node-b-tls'), 'node-b');
    const { code, output } = await runAgent(flags('node-a', tlsDir));
    expect(code).to.equal(1);
    expect(output).to.contain(`${join(tlsDir, 'tls.crt')}: this certificate names node node-b, but this agent is --name node-a`);
  });
});

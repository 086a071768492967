import { expect } from 'chai';
import { parseAgentOptions, parseByteSize } from '../../../node-agent/agent/options.js';

describe('agent/options: the limits on hostile input', () => {
  const parse = (...flags: string[]) => parseAgentOptions(['node', 'berth-agent', '--server', '127.0.0.1:1', '--name', 'n1', '--root', '/tmp/x', '--tls-dir', '/tmp/x-tls', ...flags], 'test');

  it('defaults: layers up to 20 GiB and a million entries, container logs rotated at 10 MiB keeping 5 files (Kubernetes)', () => {
    const o = parse();
    expect(o.layerLimits).to.deep.equal({ maxBytes: 20 * 1024 ** 3, maxEntries: 1_000_000 });
    expect(o.containerLogMaxSize).to.equal(10 * 1024 ** 2);
    expect(o.containerLogMaxFiles).to.equal(5);
  });

  it('takes sizes as Kubernetes writes them', () => {
    const o = parse('--layer-max-bytes', '512Mi', '--layer-max-entries', '5000', '--container-log-max-size', '4096', '--container-log-max-files', '2');
    expect(o.layerLimits).to.deep.equal({ maxBytes: 512 * 1024 ** 2, maxEntries: 5000 });
    expect(o.containerLogMaxSize).to.equal(4096);
    expect(o.containerLogMaxFiles).to.equal(2);
    expect(parseByteSize('1Ki')).to.equal(1024);
    expect(parseByteSize('2Gi')).to.equal(2 * 1024 ** 3);
  });

  it('refuses a size that is not one, naming the expected form', () => {
    for (const bad of ['10MB', '0', '-1', '1.5Gi', '', '10 Mi']) {
      expect(() => parseByteSize(bad), bad).to.throw('not a size in bytes such as 4096, 10Mi or 20Gi');
    }
  });
});

import { expect } from 'chai';
import { rolloutEditOf } from '../../../cli/commands/rollout-edits.js';
import { imagePatch, parseImageArgs } from '../../../cli/edits/images.js';
import { CliError } from '../../../cli/errors.js';
import { plainLine, PlainProgress, terminalLine, TerminalProgress } from '../../../cli/rollout/progress.js';
import type { Deployment } from '../../../proto/objects/apps.js';
import type { PodTemplateSpec } from '../../../proto/objects/pod.js';

const template: PodTemplateSpec = {
  metadata: { labels: { app: 'web' } },
  spec: {
    initContainers: [{ name: 'setup', image: 'busybox:1.36' }],
    containers: [{ name: 'web', image: 'nginx:1.24', ports: [{ containerPort: 80 }] }, { name: 'sidecar', image: 'busybox:1.36' }],
  },
};

function deployment(paused = false): Deployment {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template, ...(paused ? { paused } : {}) } };
}

describe('set image', () => {
  it('sets one container\'s image; the patch carries the whole list, the other containers unchanged', () => {
    expect(imagePatch(template, parseImageArgs(['web=nginx:1.25']))).to.deep.equal({
      spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }, { name: 'sidecar', image: 'busybox:1.36' }] } } },
    });
  });

  it('*=IMAGE sets every container, init containers included', () => {
    const patch = imagePatch(template, parseImageArgs(['*=busybox:1.37'])) as { spec: { template: { spec: PodTemplateSpec['spec'] } } };
    expect(patch.spec.template.spec.containers.map((c) => c.image)).to.deep.equal(['busybox:1.37', 'busybox:1.37']);
    expect(patch.spec.template.spec.initContainers?.map((c) => c.image)).to.deep.equal(['busybox:1.37']);
  });

  it('changes nothing when the images already are as asked', () => {
    expect(imagePatch(template, parseImageArgs(['web=nginx:1.24']))).to.equal(undefined);
  });

  it('refuses an unknown container, naming it and the ones the template has, and changes nothing', () => {
    expect(() => imagePatch(template, parseImageArgs(['web=nginx:1.25', 'wbe=nginx:1.25']))).to.throw(CliError, 'unable to find container named "wbe" (the pod template has "setup", "web", "sidecar")');
  });

  it('reads the pairs with kubectl\'s messages', () => {
    expect(() => parseImageArgs(['web'])).to.throw(CliError, 'invalid image format: web');
    expect(() => parseImageArgs([])).to.throw(CliError, 'at least one image update is required');
    expect(() => parseImageArgs(['*=a', 'web=b'])).to.throw(CliError, 'all containers are already specified by *, but saw more than one container_name=container_image pairs');
  });
});

describe('rollout pause, resume and restart', () => {
  it('pause and resume set spec.paused, and refuse what is already so, as kubectl does', () => {
    expect(rolloutEditOf('pause', deployment(), 0)).to.deep.equal({ patch: { spec: { paused: true } }, operation: 'paused' });
    expect(() => rolloutEditOf('pause', deployment(true), 0)).to.throw(CliError, 'deployments.apps "web" is already paused');
    expect(rolloutEditOf('resume', deployment(true), 0)).to.deep.equal({ patch: { spec: { paused: null } }, operation: 'resumed' });
    expect(() => rolloutEditOf('resume', deployment(), 0)).to.throw(CliError, 'deployments.apps "web" is not paused');
  });

  it('restart stamps the template with restartedAt, and refuses a paused Deployment', () => {
    expect(rolloutEditOf('restart', deployment(), Date.parse('2026-12-07T20:15:30.250Z'))).to.deep.equal({
      patch: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-07T20:15:30Z' } } } } },
      operation: 'restarted',
    });
    expect(() => rolloutEditOf('restart', deployment(true), 0)).to.throw(CliError, "can't restart paused deployment (run rollout resume first)");
  });
});

describe('apply --wait progress', () => {
  const counts = { desired: 3, updated: 2, ready: 2, available: 1 };
  const row = { label: 'deployment.apps/web', counts, state: { kind: 'progressing' as const, message: '', step: 'waiting for 1 old replica to terminate' } };
  const noColor = { green: (s: string) => `G[${s}]`, red: (s: string) => `R[${s}]`, yellow: (s: string) => `Y[${s}]` } as never;

  it('a plain line names the Deployment, the figures of desired and the step', () => {
    expect(plainLine(row)).to.equal('deployment.apps/web: 2/3 updated, 2/3 ready, 1/3 available: waiting for 1 old replica to terminate');
    expect(plainLine({ ...row, state: { kind: 'failed', reason: 'deadline', message: 'deployment "web" exceeded its progress deadline' } }))
      .to.equal('deployment.apps/web: 2/3 updated, 2/3 ready, 1/3 available: failed: exceeded its progress deadline');
  });

  it('plain output prints a line per change only', () => {
    const lines: string[] = [];
    const p = new PlainProgress((l) => lines.push(l));
    p.update(0, row);
    p.update(0, row);
    p.update(0, { ...row, state: { kind: 'complete', message: '' } });
    expect(lines).to.deep.equal([plainLine(row), 'deployment.apps/web: 2/3 updated, 2/3 ready, 1/3 available: rolled out']);
  });

  it('a terminal line is aligned, coloured by state and cut to the terminal width', () => {
    const web = { ...row, label: 'web' };
    expect(terminalLine(web, 6, 12_400, 200, noColor)).to.equal('Y[-  web     12s  2/3 updated 2/3 ready 1/3 available  waiting for 1 old replica to terminate]');
    expect(terminalLine({ ...web, state: { kind: 'complete', message: '' } }, 3, 0, 200, noColor)).to.equal('G[ok web   0s  2/3 updated 2/3 ready 1/3 available  rolled out]');
    expect(terminalLine(web, 3, 0, 30, noColor)).to.equal('Y[-  web   0s  2/3 updated 2/3…]');
  });

  it('the terminal display redraws its rows in place', () => {
    let written = '';
    const display = new TerminalProgress(['web', 'api'], { write: (t: string) => (written += t), columns: 200 });
    display.update(1, { ...row, label: 'deployment.apps/api' });
    display.end();
    const frames = written.split('\r\x1b[2K').length - 1;
    expect(frames).to.equal(6);
    expect(written).to.include('\x1b[2A');
    expect(written).to.match(/-  api +0s  2\/3 updated 2\/3 ready 1\/3 available  waiting for 1 old replica to terminate/);
  });
});

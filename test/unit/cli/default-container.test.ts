import { expect } from 'chai';
import { DEFAULT_CONTAINER_ANNOTATION, defaultContainer } from '../../../cli/commands/default-container.js';
import type { Pod } from '../../../proto/objects/pod.js';

function pod(containers: string[], initContainers: string[] = [], annotations?: Record<string, string>): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: { containers: containers.map((name) => ({ name, image: 'x' })), initContainers: initContainers.map((name) => ({ name, image: 'x' })) },
  };
}

describe('berth logs/exec without -c: the default container, as kubectl chooses it', () => {
  it('a pod with one container uses it, without a word', () => {
    expect(defaultContainer(pod(['web']))).to.deep.equal({ container: 'web' });
  });

  it('uses the first container of several and says so, naming every container, init ones last', () => {
    expect(defaultContainer(pod(['web', 'log'], ['setup']))).to.deep.equal({ container: 'web', notice: 'Defaulted container "web" out of: web, log, setup (init)' });
    expect(defaultContainer(pod(['web'], ['setup'])).notice).to.equal('Defaulted container "web" out of: web, setup (init)');
  });

  it('uses the container the kubectl.kubernetes.io/default-container annotation names, if the pod has it', () => {
    expect(defaultContainer(pod(['web', 'log'], [], { [DEFAULT_CONTAINER_ANNOTATION]: 'log' }))).to.deep.equal({ container: 'log' });
    expect(defaultContainer(pod(['web', 'log'], [], { [DEFAULT_CONTAINER_ANNOTATION]: 'gone' })).container).to.equal('web');
  });
});

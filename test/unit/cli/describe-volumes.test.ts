import { expect } from 'chai';
import type { Pod } from '../../../proto/objects/pod.js';
import { describeObject } from '../../../cli/printers/describe.js';

const POD: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    containers: [
      {
        name: 'httpd',
        image: 'busybox:1.35',
        volumeMounts: [
          { name: 'www', mountPath: '/www', readOnly: true },
          { name: 'config', mountPath: '/etc/app.conf', subPath: 'app.conf' },
        ],
      },
      { name: 'logger', image: 'busybox:1.35' },
    ],
    volumes: [
      { name: 'www', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
      { name: 'config', configMap: { name: 'site', items: [{ key: 'app.conf', path: 'app.conf' }] } },
      { name: 'token', secret: { secretName: 'api-token', optional: true } },
      { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
    ],
  },
};

describe('cli: describe pod shows mounts and volumes as kubectl does', () => {
  const text = describeObject(POD, [], 0);

  it('lists each container\'s mounts with ro/rw and the subPath, and <none> for a container without', () => {
    expect(text).to.match(/^ {3}Mounts:\n {5}\/www from www \(ro\)\n {5}\/etc\/app.conf from config \(rw,path="app.conf"\)$/m);
    expect(text).to.match(/^ {3}Mounts:\s+<none>$/m);
  });

  it('describes every volume by its type and source, never a Secret\'s content', () => {
    const section = text.slice(text.indexOf('\nVolumes:'));
    expect(section).to.match(/^ {2}www:\n {4}Type:\s+EmptyDir \(a temporary directory that shares a pod's lifetime\)\n {4}Medium:\s+Memory\n {4}SizeLimit:\s+16Mi$/m);
    expect(section).to.match(/^ {2}config:\n {4}Type:\s+ConfigMap \(a volume populated by a ConfigMap\)\n {4}Name:\s+site\n {4}Optional:\s+false\n {4}Items:\s+app.conf -> app.conf$/m);
    expect(section).to.match(/^ {2}token:\n {4}Type:\s+Secret \(a volume populated by a Secret\)\n {4}SecretName:\s+api-token\n {4}Optional:\s+true$/m);
    expect(section).to.match(/^ {2}host:\n {4}Type:\s+HostPath \(bare host directory volume\)\n {4}Path:\s+\/var\/log\n {4}HostPathType:\s+Directory$/m);
  });
});

import { expect } from 'chai';
import { apply, pod, run, useSharedCluster, waitFor } from '../support/e2e-cluster.js';
import type { LocalClusterHandle } from '../support/local-cluster.js';

/** A pod as Kubernetes users write it: downward API variables, `$(VAR)` in env and args, and a ConfigMap key. */
const POD = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: fast
---
apiVersion: v1
kind: Pod
metadata:
  name: downward
  labels:
    app: shop
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox:1.35
    command: ["sh", "-c", "env | grep '^MY_' | sort; echo \\"args: $*\\"", "--"]
    args: ["$(MY_POD_NAME)@$(MY_NODE_NAME)", "$$(MY_POD_IP)"]
    env:
    - name: MY_POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: MY_POD_NAMESPACE
      valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
    - name: MY_NODE_NAME
      valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
    - name: MY_POD_IP
      valueFrom: {fieldRef: {fieldPath: status.podIP}}
    - name: MY_HOST_IP
      valueFrom: {fieldRef: {fieldPath: status.hostIP}}
    - name: MY_APP
      valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}
    - name: MY_URL
      value: "http://$(MY_POD_IP):8080/$(MY_APP)"
    - name: MY_FROM_CONFIG
      valueFrom: {configMapKeyRef: {name: settings, key: mode}}
`;

describe('e2e: the downward API as environment variables, and $(VAR) expansion', function () {
  this.timeout(90_000);
  let cluster: LocalClusterHandle;

  useSharedCluster((c) => (cluster = c), async (c) => {
    await run(c, ['delete', 'pod', 'downward', '--ignore-not-found']);
    await run(c, ['delete', 'configmap', 'settings', '--ignore-not-found']);
  });

  it('a pod sees its name, namespace, node, IPs and label; $(VAR) expands as in Kubernetes; a ConfigMap key is a variable too', async () => {
    const applied = await apply(cluster, POD);
    expect(applied.stderr).not.to.match(/Warning/);
    const done = await waitFor(async () => {
      const p = await pod(cluster, 'downward');
      expect(p.status?.phase).to.equal('Succeeded');
      return p;
    }, 60_000);
    const podIP = done.status?.podIP ?? '';
    expect(podIP).to.match(/^10\.244\.\d+\.\d+$/);
    const node = cluster.nodes.find((n) => n.name === done.spec.nodeName);
    const logs = (await run(cluster, ['logs', 'downward'])).stdout.trim().split('\n');
    expect(logs).to.deep.equal([
      'MY_APP=shop',
      'MY_FROM_CONFIG=fast',
      `MY_HOST_IP=${node?.ip ?? ''}`,
      `MY_NODE_NAME=${done.spec.nodeName ?? ''}`,
      `MY_POD_IP=${podIP}`,
      'MY_POD_NAME=downward',
      'MY_POD_NAMESPACE=default',
      `MY_URL=http://${podIP}:8080/shop`,
      `args: downward@${done.spec.nodeName ?? ''} $(MY_POD_IP)`,
    ]);
  });
});

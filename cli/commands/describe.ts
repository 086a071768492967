import type { Event } from '../../proto/objects/cluster.js';
import { SERVICE_NAME_LABEL } from '../../proto/objects/discovery.js';
import type { EndpointSlice } from '../../proto/objects/discovery.js';
import type { Pod } from '../../proto/objects/pod.js';
import type { LabelSelector } from '../../proto/objects/meta.js';
import { formatLabelSelector } from '../../proto/labels.js';
import { describeObject } from '../printers/describe.js';
import type { Related } from '../printers/describe.js';
import type { GlobalOptions } from './context.js';
import { namespaceOf, print, splitKindName, withClient } from './context.js';

/** describe prints one object in detail, with the events recorded about it. */
export async function describeCommand(kind: string, name: string | undefined, options: GlobalOptions): Promise<void> {
  const { info, name: objectName } = splitKindName(kind, name);
  const namespace = namespaceOf(options);
  await withClient(options, async (client) => {
    const object = await client.get(info.resource, namespace, objectName);
    const events = (await client.list({ resource: 'events', namespace: object.metadata.namespace ?? '', all_namespaces: !info.namespaced, label_selector: '' })).items as Event[];
    const about = events.filter((e) => e.involvedObject.kind === object.kind && e.involvedObject.name === objectName && (!e.involvedObject.uid || e.involvedObject.uid === object.metadata.uid));
    const related: Related = {};
    if (info.kind === 'Service') {
      const selector = `${SERVICE_NAME_LABEL}=${objectName}`;
      related.endpointSlices = (await client.list({ resource: 'endpointslices', namespace: object.metadata.namespace ?? '', all_namespaces: false, label_selector: selector })).items as EndpointSlice[];
    }
    if (info.kind === 'DaemonSet') {
      // Its pods by its selector, and of those the ones it controls (kubectl's Pods Status line).
      const selector = formatLabelSelector((object.spec as { selector: LabelSelector }).selector);
      const pods = (await client.list({ resource: 'pods', namespace: object.metadata.namespace ?? '', all_namespaces: false, label_selector: selector })).items as Pod[];
      related.pods = pods.filter((p) => p.metadata.ownerReferences?.some((r) => r.controller && r.uid === object.metadata.uid));
    }
    print(describeObject(object, about, Date.now(), related));
  });
}

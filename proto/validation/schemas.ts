import { any, arr, bool, ignored, ignoredWhenTrue, int, int64, intOrString, obj, oneOf, quantity, str, stringMap } from './schema-builder.js';
import type { Schema } from './schema-builder.js';
import { volume, volumeMount } from './schemas-volumes.js';

/**
 * JSON Schemas of the objects a user can apply, following Kubernetes' field names and types.
 * Structure only: rules that relate fields to each other are the named checks in checks.ts.
 */

const ownerReference = obj(
  { apiVersion: str(), kind: str(), name: str(), uid: str(), controller: bool, blockOwnerDeletion: bool },
  { required: ['apiVersion', 'kind', 'name', 'uid'] },
);

// Read-only fields (uid, resourceVersion, ...) are accepted so that `berth get -o yaml` output
// can be applied again; the API overwrites them.
const metadataProperties = {
  name: str(),
  namespace: str(),
  labels: stringMap,
  annotations: stringMap,
  uid: str(),
  resourceVersion: str(),
  generation: int64(),
  creationTimestamp: { type: ['string', 'null'] },
  deletionTimestamp: str(),
  deletionGracePeriodSeconds: int64(0),
  ownerReferences: arr(ownerReference),
};
const metadataUnsupported = ['generateName', 'finalizers', 'managedFields', 'selfLink'];

export const objectMeta = obj(metadataProperties, { required: ['name'], unsupported: metadataUnsupported });
const templateMeta = obj(metadataProperties, { unsupported: metadataUnsupported });

const labelSelector = obj({
  matchLabels: stringMap,
  matchExpressions: arr(
    obj({ key: str(), operator: oneOf('In', 'NotIn', 'Exists', 'DoesNotExist'), values: arr(str()) }, { required: ['key', 'operator'] }),
  ),
});

const execAction = obj({ command: arr(str()) });
const httpGet = obj(
  {
    path: str(),
    port: intOrString,
    host: str(),
    scheme: oneOf('HTTP', 'HTTPS'),
    httpHeaders: arr(obj({ name: str(), value: str() }, { required: ['name', 'value'] })),
  },
  { required: ['port'] },
);
const tcpSocket = obj({ port: intOrString, host: str() }, { required: ['port'] });

const probe = obj(
  {
    exec: execAction,
    httpGet,
    tcpSocket,
    initialDelaySeconds: int(0),
    timeoutSeconds: int(1),
    periodSeconds: int(1),
    successThreshold: int(1),
    failureThreshold: int(1),
    terminationGracePeriodSeconds: int64(1),
  },
  { unsupported: ['grpc'] },
);

// Kubernetes itself accepts a tcpSocket hook for compatibility and never runs it.
const lifecycleHandler = obj({ exec: execAction, httpGet, tcpSocket: ignored(tcpSocket), sleep: obj({ seconds: int64(0) }, { required: ['seconds'] }) });

const seccompProfile = obj({ type: oneOf('RuntimeDefault', 'Unconfined', 'Localhost'), localhostProfile: str() }, { required: ['type'] });

const securityContext = obj(
  {
    runAsUser: int(0),
    runAsGroup: int(0),
    runAsNonRoot: bool,
    readOnlyRootFilesystem: bool,
    allowPrivilegeEscalation: bool,
    privileged: bool,
    capabilities: obj({ add: arr(str()), drop: arr(str()) }),
    seccompProfile,
  },
  { unsupported: ['seLinuxOptions', 'appArmorProfile', 'procMount', 'windowsOptions'] },
);

const keySelector = obj({ name: str(), key: str(), optional: bool }, { required: ['key'] });
const envVarSource = obj({
  fieldRef: obj({ apiVersion: str(), fieldPath: str() }, { required: ['fieldPath'] }),
  resourceFieldRef: obj({ containerName: str(), resource: str(), divisor: quantity }, { required: ['resource'] }),
  configMapKeyRef: keySelector,
  secretKeyRef: keySelector,
});
const envFromSource = obj({
  prefix: str(),
  configMapRef: obj({ name: str(), optional: bool }),
  secretRef: obj({ name: str(), optional: bool }),
});

const container = obj(
  {
    name: str(),
    image: str(),
    command: arr(str()),
    args: arr(str()),
    workingDir: str(),
    ports: arr(
      obj(
        { name: str(), containerPort: int(), hostPort: int(), hostIP: str(), protocol: oneOf('TCP', 'UDP', 'SCTP') },
        { required: ['containerPort'] },
      ),
    ),
    env: arr(obj({ name: str(), value: str(), valueFrom: envVarSource }, { required: ['name'] })),
    envFrom: arr(envFromSource),
    resources: obj({ requests: { type: 'object', additionalProperties: quantity }, limits: { type: 'object', additionalProperties: quantity } }, { unsupported: ['claims'] }),
    livenessProbe: probe,
    readinessProbe: probe,
    startupProbe: probe,
    lifecycle: obj({ postStart: lifecycleHandler, preStop: lifecycleHandler }, { unsupported: ['stopSignal'] }),
    terminationMessagePath: str(),
    terminationMessagePolicy: oneOf('File', 'FallbackToLogsOnError'),
    imagePullPolicy: oneOf('Always', 'IfNotPresent', 'Never'),
    securityContext,
    volumeMounts: arr(volumeMount),
    // No attach in Berth: a container's stdin is never kept open, nor given a terminal.
    stdin: ignoredWhenTrue,
    tty: ignoredWhenTrue,
    restartPolicy: oneOf('Always'),
  },
  { required: ['name'], unsupported: ['volumeDevices', 'stdinOnce', 'resizePolicy'] },
);

const toleration = obj({
  key: str(),
  operator: oneOf('Exists', 'Equal'),
  value: str(),
  effect: oneOf('NoSchedule', 'PreferNoSchedule', 'NoExecute', ''),
  // Berth evicts no pod for a NoExecute taint (the scheduler only keeps pods off), so there is no eviction to delay.
  tolerationSeconds: ignored(int64()),
});

const nodeSelectorRequirement = obj(
  { key: str(), operator: oneOf('In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'), values: arr(str()) },
  { required: ['key', 'operator'] },
);
const nodeSelectorTerm = obj({ matchExpressions: arr(nodeSelectorRequirement), matchFields: arr(nodeSelectorRequirement) });
const podAffinityTerm = obj(
  { labelSelector, namespaces: arr(str()), topologyKey: str() },
  { required: ['topologyKey'], unsupported: ['namespaceSelector', 'matchLabelKeys', 'mismatchLabelKeys'] },
);
const podAffinityRules = obj({
  requiredDuringSchedulingIgnoredDuringExecution: arr(podAffinityTerm),
  preferredDuringSchedulingIgnoredDuringExecution: arr(obj({ weight: int(1, 100), podAffinityTerm }, { required: ['weight', 'podAffinityTerm'] })),
});
const affinity = obj({
  nodeAffinity: obj({
    requiredDuringSchedulingIgnoredDuringExecution: obj({ nodeSelectorTerms: arr(nodeSelectorTerm) }, { required: ['nodeSelectorTerms'] }),
    preferredDuringSchedulingIgnoredDuringExecution: arr(
      obj({ weight: int(1, 100), preference: nodeSelectorTerm }, { required: ['weight', 'preference'] }),
    ),
  }),
  podAffinity: podAffinityRules,
  podAntiAffinity: podAffinityRules,
});

export const podSpec = obj(
  {
    containers: arr(container, { minItems: 1 }),
    // The scheduler counts their requests, but the agent does not run init containers.
    initContainers: arr(container),
    restartPolicy: oneOf('Always', 'OnFailure', 'Never'),
    terminationGracePeriodSeconds: int64(0),
    activeDeadlineSeconds: ignored(int64(1)),
    dnsPolicy: oneOf('ClusterFirst', 'Default', 'None', 'ClusterFirstWithHostNet'),
    nodeSelector: stringMap,
    nodeName: str(),
    hostname: str(),
    subdomain: str(),
    schedulerName: str(),
    tolerations: arr(toleration),
    affinity,
    securityContext: obj(
      { runAsUser: int(0), runAsGroup: int(0), runAsNonRoot: bool, fsGroup: int(0), supplementalGroups: arr(int(0)), seccompProfile },
      { unsupported: ['seLinuxOptions', 'sysctls', 'fsGroupChangePolicy', 'appArmorProfile'] },
    ),
    enableServiceLinks: bool,
    hostUsers: bool,
    volumes: arr(volume),
    // Set by Kubernetes from priorityClassName; Berth's scheduler has no priorities.
    priority: ignored(int()),
  },
  {
    required: ['containers'],
    unsupported: [
      'hostNetwork', 'hostPID', 'hostIPC', 'serviceAccountName', 'serviceAccount',
      'automountServiceAccountToken', 'imagePullSecrets', 'priorityClassName', 'runtimeClassName',
      'topologySpreadConstraints', 'dnsConfig', 'hostAliases', 'readinessGates', 'overhead', 'preemptionPolicy',
      'setHostnameAsFQDN', 'shareProcessNamespace', 'ephemeralContainers', 'os', 'schedulingGates',
      'resourceClaims',
    ],
  },
);

const podTemplate = obj({ metadata: templateMeta, spec: podSpec }, { required: ['spec'] });

const top = (apiVersion: string, kind: string, rest: Record<string, Schema>, required: string[] = []): Schema =>
  obj(
    { apiVersion: { const: apiVersion }, kind: { const: kind }, metadata: objectMeta, status: any, ...rest },
    { required: ['apiVersion', 'kind', 'metadata', ...required] },
  );

const deploymentSpec = obj(
  {
    replicas: int(0),
    selector: labelSelector,
    template: podTemplate,
    strategy: obj({
      type: oneOf('RollingUpdate', 'Recreate'),
      rollingUpdate: obj({ maxSurge: intOrString, maxUnavailable: intOrString }),
    }),
    minReadySeconds: int(0),
    revisionHistoryLimit: int(0),
    progressDeadlineSeconds: int(1),
    paused: bool,
    podReplacementPolicy: oneOf('TerminationStarted', 'TerminationComplete'),
  },
  { required: ['selector', 'template'] },
);

const replicaSetSpec = obj(
  { replicas: int(0), minReadySeconds: int(0), selector: labelSelector, template: podTemplate },
  { required: ['selector'] },
);

const daemonSetSpec = obj(
  {
    selector: labelSelector,
    template: podTemplate,
    updateStrategy: obj({
      type: oneOf('RollingUpdate', 'OnDelete'),
      rollingUpdate: obj({ maxUnavailable: intOrString, maxSurge: intOrString }),
    }),
    minReadySeconds: int(0),
    // Berth keeps no ControllerRevisions: a DaemonSet's pods carry the hash of their template, nothing more.
    revisionHistoryLimit: ignored(int(0)),
  },
  { required: ['selector', 'template'] },
);

// The selector is generated from the Job's uid when absent (manualSelector unset), as in Kubernetes.
const jobSpec = obj(
  {
    completions: int(0),
    parallelism: int(0),
    backoffLimit: int(0),
    activeDeadlineSeconds: int64(1),
    ttlSecondsAfterFinished: int(0),
    selector: labelSelector,
    manualSelector: bool,
    completionMode: oneOf('NonIndexed'),
    suspend: ignoredWhenTrue,
    template: podTemplate,
  },
  { required: ['template'], unsupported: ['podFailurePolicy', 'backoffLimitPerIndex', 'maxFailedIndexes', 'podReplacementPolicy', 'successPolicy', 'managedBy'] },
);

const servicePort = obj(
  {
    name: str(),
    protocol: oneOf('TCP', 'UDP', 'SCTP'),
    port: int(1, 65535),
    targetPort: intOrString,
    nodePort: int(),
    appProtocol: str(),
  },
  { required: ['port'] },
);

const serviceSpec = obj(
  {
    type: oneOf('ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'),
    selector: stringMap,
    ports: arr(servicePort),
    clusterIP: str(),
    clusterIPs: arr(str()),
    sessionAffinity: oneOf('None', 'ClientIP'),
    publishNotReadyAddresses: bool,
    ipFamilies: arr(str()),
    ipFamilyPolicy: str(),
    internalTrafficPolicy: oneOf('Cluster', 'Local'),
    externalName: str(),
  },
  {
    unsupported: [
      'externalIPs', 'loadBalancerIP', 'loadBalancerSourceRanges', 'externalTrafficPolicy',
      'healthCheckNodePort', 'sessionAffinityConfig', 'allocateLoadBalancerNodePorts', 'loadBalancerClass', 'trafficDistribution',
    ],
  },
);

const endpointAddress = obj(
  {
    ip: str(),
    hostname: str(),
    nodeName: str(),
    targetRef: obj({ kind: str(), namespace: str(), name: str(), uid: str(), apiVersion: str(), resourceVersion: str() }),
  },
  { required: ['ip'] },
);

const nodeSpec = obj({
  podCIDR: str(),
  podCIDRs: arr(str()),
  unschedulable: bool,
  taints: arr(obj({ key: str(), value: str(), effect: oneOf('NoSchedule', 'PreferNoSchedule', 'NoExecute'), timeAdded: str() }, { required: ['key', 'effect'] })),
}, { unsupported: ['providerID', 'configSource', 'externalID'] });

/** SCHEMAS maps `apiVersion/kind` to the schema of a whole object of that kind. */
export const SCHEMAS: Record<string, Schema> = {
  'apps/v1/Deployment': top('apps/v1', 'Deployment', { spec: deploymentSpec }, ['spec']),
  'apps/v1/ReplicaSet': top('apps/v1', 'ReplicaSet', { spec: replicaSetSpec }, ['spec']),
  'apps/v1/DaemonSet': top('apps/v1', 'DaemonSet', { spec: daemonSetSpec }, ['spec']),
  'batch/v1/Job': top('batch/v1', 'Job', { spec: jobSpec }, ['spec']),
  'v1/Pod': top('v1', 'Pod', { spec: podSpec }, ['spec']),
  'v1/Service': top('v1', 'Service', { spec: serviceSpec }, ['spec']),
  'v1/Endpoints': top('v1', 'Endpoints', {
    subsets: arr(obj({
      addresses: arr(endpointAddress),
      notReadyAddresses: arr(endpointAddress),
      ports: arr(obj({ name: str(), port: int(1, 65535), protocol: oneOf('TCP', 'UDP', 'SCTP'), appProtocol: str() }, { required: ['port'] })),
    })),
  }),
  'discovery.k8s.io/v1/EndpointSlice': top('discovery.k8s.io/v1', 'EndpointSlice', {
    addressType: oneOf('IPv4', 'IPv6', 'FQDN'),
    endpoints: arr(obj({
      addresses: arr(str()),
      conditions: obj({ ready: bool, serving: bool, terminating: bool }),
      hostname: str(),
      nodeName: str(),
      zone: str(),
      targetRef: obj({ apiVersion: str(), kind: str(), namespace: str(), name: str(), uid: str(), resourceVersion: str(), fieldPath: str() }),
    }, { required: ['addresses'] })),
    ports: arr(obj({ name: str(), port: int(1, 65535), protocol: oneOf('TCP', 'UDP', 'SCTP'), appProtocol: str() })),
  }, ['addressType', 'endpoints']),
  'coordination.k8s.io/v1/Lease': top('coordination.k8s.io/v1', 'Lease', {
    spec: obj({ holderIdentity: str(), leaseDurationSeconds: int(1), renewTime: str(), acquireTime: str(), leaseTransitions: int(0) }),
  }),
  'v1/ConfigMap': top('v1', 'ConfigMap', { data: stringMap, binaryData: stringMap, immutable: bool }),
  'v1/Secret': top('v1', 'Secret', { type: str(), data: stringMap, stringData: stringMap, immutable: bool }),
  'v1/Namespace': top('v1', 'Namespace', { spec: obj({ finalizers: arr(str()) }) }),
  'v1/Node': top('v1', 'Node', { spec: nodeSpec }),
  'v1/Event': top('v1', 'Event', {
    involvedObject: obj({ apiVersion: str(), kind: str(), namespace: str(), name: str(), uid: str(), resourceVersion: str(), fieldPath: str() }, { required: ['kind', 'name'] }),
    reason: str(),
    message: str(),
    type: oneOf('Normal', 'Warning'),
    source: obj({ component: str(), host: str() }),
    firstTimestamp: str(),
    lastTimestamp: str(),
    count: int(0),
    reportingComponent: str(),
    reportingInstance: str(),
  }, ['involvedObject', 'reason']),
};

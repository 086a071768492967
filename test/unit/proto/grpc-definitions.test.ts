import { join } from 'node:path';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { expect } from 'chai';
import { loadBerthProto } from '../../../proto/grpc.js';
import { REPO_ROOT } from '../../support/cli.js';

// Programs load the gRPC definitions from reflection generated at build time; these tests hold
// them to what @grpc/proto-loader makes of berth.proto, so a CLI, control plane and agent built
// either way talk the same wire format and see the same decoded objects.
const reference = protoLoader.loadSync(join(REPO_ROOT, 'proto', 'berth.proto'), {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

type AnyMethod = MethodDefinition<object, object>;

function services(): Array<[string, ServiceDefinition]> {
  const v1 = loadBerthProto().berth.v1;
  return [
    ['berth.v1.ClusterAPI', v1.ClusterAPI.service],
    ['berth.v1.NodeAPI', v1.NodeAPI.service],
    ['berth.v1.AgentAPI', v1.AgentAPI.service],
    ['berth.v1.BootstrapAPI', v1.BootstrapAPI.service],
  ];
}

function referenceMethod(service: string, method: string): AnyMethod {
  const definition = reference[service] as Record<string, AnyMethod> | undefined;
  const found = definition?.[method];
  if (!found) throw new Error(`proto-loader has no ${service}.${method}`);
  return found;
}

/** A filled-in message for some request and response types, to compare more than defaults. */
const SAMPLES: Record<string, { request?: object; response?: object }> = {
  '/berth.v1.ClusterAPI/Apply': {
    request: { documents: [{ source: 'web.yaml', index: 2, json: '{"kind":"Pod"}' }], dry_run: true },
    response: {
      results: [{ api_version: 'v1', kind: 'Pod', namespace: 'default', name: 'web', action: 'CONFIGURED', object_json: '{}' }],
      errors: [{ source: '-', index: 1, path: 'spec.replicas', message: 'must be >= 0', kind: 'Deployment/web' }],
      warnings: [],
    },
  },
  '/berth.v1.ClusterAPI/List': {
    request: { resource: 'pods', namespace: '', all_namespaces: true, label_selector: 'app=web' },
    response: { items_json: ['{"a":1}', '{"b":2}'], resource_version: '42' },
  },
  '/berth.v1.NodeAPI/Heartbeat': { response: { lease_duration_seconds: '9007199254740993' } },
  '/berth.v1.AgentAPI/Logs': { response: { data: Buffer.from('hello\n') } },
};

describe('proto/grpc: service definitions from the generated reflection', () => {
  it('has every service and method of berth.proto, with the same paths, streaming and names', () => {
    const referenceServices = Object.keys(reference).filter((name) => !('format' in (reference[name] as object)));
    expect(services().map(([name]) => name)).to.have.members(referenceServices);
    for (const [name, definition] of services()) {
      expect(Object.keys(definition), name).to.have.members(Object.keys(reference[name] as object));
      for (const [methodName, method] of Object.entries(definition) as Array<[string, AnyMethod]>) {
        const expected = referenceMethod(name, methodName);
        expect(
          { path: method.path, requestStream: method.requestStream, responseStream: method.responseStream, originalName: method.originalName },
          `${name}.${methodName}`,
        ).to.deep.equal({ path: expected.path, requestStream: expected.requestStream, responseStream: expected.responseStream, originalName: expected.originalName });
      }
    }
  });

  it('encodes and decodes every message like proto-loader: defaults and filled-in samples', () => {
    for (const [name, definition] of services()) {
      for (const [methodName, method] of Object.entries(definition) as Array<[string, AnyMethod]>) {
        const expected = referenceMethod(name, methodName);
        const sample = SAMPLES[method.path] ?? {};
        for (const side of ['request', 'response'] as const) {
          const serialize = side === 'request' ? method.requestSerialize : method.responseSerialize;
          const deserialize = side === 'request' ? method.requestDeserialize : method.responseDeserialize;
          const expectedSerialize = side === 'request' ? expected.requestSerialize : expected.responseSerialize;
          const expectedDeserialize = side === 'request' ? expected.requestDeserialize : expected.responseDeserialize;
          const what = `${name}.${methodName} ${side}`;
          const defaults = expectedDeserialize(Buffer.alloc(0));
          expect(deserialize(Buffer.alloc(0)), `${what} defaults`).to.deep.equal(defaults);
          for (const message of [defaults, sample[side]].filter((m): m is object => m !== undefined)) {
            const bytes = serialize(message);
            expect(Buffer.from(bytes).toString('hex'), what).to.equal(Buffer.from(expectedSerialize(message)).toString('hex'));
            expect(deserialize(bytes), what).to.deep.equal(expectedDeserialize(bytes));
          }
        }
      }
    }
  });

  it('refuses an array where a message belongs, as proto-loader does', () => {
    const apply = loadBerthProto().berth.v1.ClusterAPI.service.Apply as unknown as AnyMethod;
    expect(() => apply.requestSerialize([] as unknown as object)).to.throw(/expected object with ApplyRequest structure, got array/);
  });
});

import type { ApplyRequest__Output } from '../../proto/generated/berth/v1/ApplyRequest.js';
import type { ApplyResponse } from '../../proto/generated/berth/v1/ApplyResponse.js';
import type { Problem } from '../../proto/generated/berth/v1/Problem.js';
import { parseJsonInput } from '../api/json-input.js';
import type { ApplyDocument, ApplyOutcome, DocumentProblem } from '../api/object-service.js';

/** Conversion between ClusterAPI messages and the domain types: the only place that knows both. */

export function applyDocumentsFromProto(request: ApplyRequest__Output): ApplyDocument[] {
  return request.documents.map((d) => {
    const object = parseJsonInput(d.json, `${d.source} document ${d.index}`);
    return { source: d.source, index: d.index, object };
  });
}

function problemToProto(p: DocumentProblem): Problem {
  return { source: p.source, index: p.index, path: p.path, message: p.message, kind: p.subject };
}

export function applyOutcomeToProto(outcome: ApplyOutcome): ApplyResponse {
  return {
    results: outcome.results.map((r) => ({
      api_version: r.object.apiVersion,
      kind: r.object.kind,
      namespace: r.object.metadata.namespace ?? '',
      name: r.object.metadata.name,
      action: r.action === 'created' ? 'CREATED' : r.action === 'configured' ? 'CONFIGURED' : 'UNCHANGED',
      object_json: JSON.stringify(r.object),
    })),
    errors: outcome.errors.map(problemToProto),
    warnings: outcome.warnings.map(problemToProto),
  };
}

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { LineCounter, parseAllDocuments, type Tags } from 'yaml';
import { CliError } from './errors.js';

/** ManifestDocument is one non-empty YAML document of a manifest file. */
export interface ManifestDocument {
  source: string;
  /** 1-based position among the file's non-empty documents. */
  index: number;
  /** 1-based line where the document starts, for messages. */
  line: number;
  object: unknown;
}

/** ManifestSyntaxError lists every YAML problem found, each with file, document and line. */
export class ManifestSyntaxError extends CliError {
  override name = 'ManifestSyntaxError';
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** manifestFiles expands -f arguments: files as given, directories to their manifests, sorted. */
export function manifestFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const path of paths) {
    if (path === '-') {
      out.push(path);
      continue;
    }
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new CliError(`the path "${path}" does not exist`);
    }
    if (stat.isDirectory()) {
      const entries = readdirSync(path).filter((e) => MANIFEST_EXTENSIONS.has(extname(e))).sort();
      if (entries.length === 0) throw new CliError(`the directory "${path}" holds no .yaml, .yml or .json files`);
      out.push(...entries.map((e) => join(path, e)));
    } else {
      out.push(path);
    }
  }
  return out;
}

/**
 * How manifests are read: as kubectl reads them, with YAML 1.1's scalars (Kubernetes' YAML
 * library), so `defaultMode: 0400` is the octal mode 256 and `yes`/`on` are booleans, as in
 * every manifest written for kubectl. Two 1.1 resolutions kubectl's library does not make are
 * left out: sexagesimal numbers (`1:20` stays a string) and timestamps (a date stays a string).
 */
const KUBECTL_YAML = {
  version: '1.1',
  customTags: (tags: Tags) => tags.filter((t) => typeof t === 'string' || (t.format !== 'TIME' && t.tag !== 'tag:yaml.org,2002:timestamp')),
} as const;

/** readManifests parses every file; any YAML error anywhere stops everything before a request. */
export function readManifests(paths: string[], readStdin: () => string): ManifestDocument[] {
  const documents: ManifestDocument[] = [];
  const problems: string[] = [];
  for (const file of manifestFiles(paths)) {
    const text = file === '-' ? readStdin() : readFileSync(file, 'utf8');
    const source = file === '-' ? 'stdin' : file;
    const lines = new LineCounter();
    let index = 0;
    for (const doc of parseAllDocuments(text, { ...KUBECTL_YAML, lineCounter: lines, prettyErrors: true })) {
      const empty = doc.contents === null;
      if (!empty) index++;
      const startLine = lines.linePos(doc.range[0]).line;
      for (const e of doc.errors) {
        const at = e.linePos?.[0];
        problems.push(`${source}: document ${Math.max(index, 1)}, line ${at?.line ?? startLine}${at ? `, column ${at.col}` : ''}: YAML syntax error: ${firstLine(e.message)}`);
      }
      if (empty || doc.errors.length > 0) continue;
      documents.push({ source, index, line: startLine, object: doc.toJS({ maxAliasCount: 100 }) });
    }
  }
  if (problems.length > 0) throw new ManifestSyntaxError(`${problems.join('\nerror: ')}\nerror: nothing was applied`);
  return documents;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

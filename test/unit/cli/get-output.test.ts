import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CliError } from '../../../cli/errors.js';
import { customColumnsRow, parseCustomColumns, relaxedJsonPath } from '../../../cli/printers/custom-columns.js';
import { parseOutputFormat } from '../../../cli/printers/output-format.js';
import { labelsText, render } from '../../../cli/printers/render.js';
import type { RenderOptions } from '../../../cli/printers/render.js';
import type { Pod } from '../../../proto/objects/pod.js';
import { RESOURCE } from '../../../proto/resources.js';

const pods = RESOURCE.pods;
const NOW = Date.parse('2026-01-01T00:10:00Z');

function pod(name: string, nodeName?: string, labels?: Record<string, string>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z', ...(labels ? { labels } : {}) },
    spec: { containers: [{ name: 'main', image: 'busybox:1.35' }, { name: 'side', image: 'busybox:1.36' }], ...(nodeName ? { nodeName } : {}) },
    status: { phase: 'Running' },
  };
}

const items = [pod('web-1', 'node-2', { app: 'web', tier: 'front' }), pod('db', undefined)];
const options = (overrides: Partial<RenderOptions> = {}): RenderOptions => ({ single: false, allNamespaces: false, header: 'print', showLabels: false, allowMissingKeys: true, now: NOW, ...overrides });
const output = (o: string, renderOptions: Partial<RenderOptions> = {}, objects = items) => render(pods, objects, parseOutputFormat(o), options(renderOptions));

function message(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof CliError) return err.message;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('berth get -o', () => {
  it('refuses an unknown format, and a template format without a template, as kubectl does', () => {
    expect(message(() => parseOutputFormat('xml'))).to.equal('unable to match a printer suitable for the output format "xml", allowed formats are: custom-columns,json,jsonpath,jsonpath-file,name,wide,yaml');
    expect(message(() => parseOutputFormat('jsonpath'))).to.equal('template format specified but no template given');
    expect(message(() => parseOutputFormat('jsonpath='))).to.equal('template format specified but no template given');
    expect(message(() => parseOutputFormat('jsonpath={.items[}'))).to.equal('error parsing jsonpath {.items[}, unterminated array');
    expect(message(() => parseOutputFormat('custom-columns='))).to.equal('custom-columns format specified but no custom columns given');
  });

  it('accepts -o=FORMAT (commander leaves the "=")', () => {
    expect(parseOutputFormat('=json')).to.deep.equal({ kind: 'json' });
  });

  describe('jsonpath', () => {
    it('applies the template to a List of the objects, and to the object itself when one was named; no newline is added', () => {
      expect(output('jsonpath={.items[*].metadata.name}')).to.equal('web-1 db');
      expect(output('jsonpath={.kind}')).to.equal('List');
      expect(output('jsonpath={.metadata.name}', { single: true }, [items[0] as Pod])).to.equal('web-1');
      expect(output('jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.spec.nodeName}{"\\n"}{end}')).to.equal('web-1\tnode-2\ndb\t\n');
    });

    it('takes the template with the quotes of kubectl\'s examples around it', () => {
      expect(output("jsonpath='{.items[0].metadata.name}'")).to.equal('web-1');
      expect(output('jsonpath="{.items[0].metadata.name}"')).to.equal('web-1');
    });

    it('reads a template from a file with jsonpath-file', () => {
      const dir = mkdtempSync(join(tmpdir(), 'berth-jsonpath-'));
      try {
        writeFileSync(join(dir, 't.txt'), '{.items[1].metadata.name}');
        expect(output(`jsonpath-file=${join(dir, 't.txt')}`)).to.equal('db');
        expect(message(() => parseOutputFormat(`jsonpath-file=${join(dir, 'missing')}`))).to.match(/^error reading --template .*missing, ENOENT/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('prints nothing for a missing key, or kubectl\'s error with --allow-missing-template-keys=false', () => {
      expect(output('jsonpath={.items[*].spec.nope}')).to.equal('');
      const err = message(() => output('jsonpath={.items[0].spec.nope}', { allowMissingKeys: false }));
      expect(err.split('\n').slice(0, 3)).to.deep.equal([
        'error executing jsonpath "{.items[0].spec.nope}": Error executing template: nope is not found. Printing more information for debugging the template:',
        '\ttemplate was:',
        '\t\t{.items[0].spec.nope}',
      ]);
    });

    it('fails on an index past the end even with missing keys allowed', () => {
      expect(message(() => output('jsonpath={.items[5].metadata.name}'))).to.match(/^error executing jsonpath "\{\.items\[5\]\.metadata\.name\}": Error executing template: array index out of bounds: index 5, length 2\./);
    });
  });

  describe('custom-columns', () => {
    it('reads kubectl\'s column spec and its relaxed paths', () => {
      expect(parseCustomColumns('NAME:.metadata.name,NODE:spec.nodeName').map((c) => [c.header, c.path.template])).to.deep.equal([
        ['NAME', '{.metadata.name}'],
        ['NODE', '{.spec.nodeName}'],
      ]);
      expect(['a.b', '.a.b', '{a.b}', '{.a.b}'].map(relaxedJsonPath)).to.deep.equal(['{.a.b}', '{.a.b}', '{.a.b}', '{.a.b}']);
      expect(message(() => parseCustomColumns('NAME'))).to.equal('unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>');
      expect(message(() => parseCustomColumns('A:{.a'))).to.equal("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'");
      expect(message(() => parseCustomColumns('A:.a[x]'))).to.equal('invalid array index x');
    });

    it('prints a header as given and a row per object, <none> for nothing found, several values joined by commas', () => {
      const text = output('custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,IMAGES:.spec.containers[*].image');
      expect(text).to.equal('NAME    NODE     IMAGES\nweb-1   node-2   busybox:1.35,busybox:1.36\ndb      <none>   busybox:1.35,busybox:1.36\n');
    });

    it('prints maps as Go does, and keeps short columns six wide as kubectl\'s tabwriter does', () => {
      expect(customColumnsRow(parseCustomColumns('L:.metadata.labels'), items[0])).to.deep.equal(['map[app:web tier:front]']);
      expect(output('custom-columns=N:.metadata.namespace,P:.status.phase')).to.equal('N         P\ndefault   Running\ndefault   Running\n');
      expect(output('custom-columns=A:.x,B:.y', {}, [pod('p')])).to.equal('A        B\n<none>   <none>\n');
    });

    it('leaves the header out with --no-headers, and prints only the header for no objects', () => {
      expect(output('custom-columns=NAME:.metadata.name', { header: 'omit' })).to.equal('web-1\ndb\n');
      expect(output('custom-columns=NAME:.metadata.name', {}, [])).to.equal('NAME\n');
    });
  });

  describe('tables', () => {
    it('adds a LABELS column with --show-labels: sorted k=v, <none> when empty', () => {
      expect(labelsText({ tier: 'front', app: 'web' })).to.equal('app=web,tier=front');
      expect(labelsText(undefined)).to.equal('<none>');
      const lines = output('', { showLabels: true }).split('\n');
      expect(lines[0]).to.match(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+LABELS$/);
      expect(lines[1]).to.match(/^web-1\s+0\/2\s+Running\s+0\s+10m\s+app=web,tier=front$/);
      expect(lines[2]).to.match(/^db\s+0\/2\s+Running\s+0\s+10m\s+<none>$/);
    });

    it('puts LABELS after the wide columns', () => {
      expect(output('wide', { showLabels: true }).split('\n')[0]).to.match(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+LABELS$/);
    });

    it('leaves the header out with --no-headers, columns as wide as the rows', () => {
      expect(output('', { header: 'omit' })).to.equal('web-1   0/2   Running   0     10m\ndb      0/2   Running   0     10m\n');
    });

    it('aligns the rows of a watch to the header printed first', () => {
      expect(output('', { header: 'measure' }, [pod('a')])).to.equal('a      0/2     Running   0          10m\n');
    });
  });
});

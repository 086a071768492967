import { expect } from 'chai';
import { JsonPathError, JsonPathSyntaxError } from '../../../cli/jsonpath/errors.js';
import { JsonPath } from '../../../cli/jsonpath/evaluate.js';
import { goFloat, goJson, goSprint } from '../../../cli/jsonpath/go-text.js';
import { unquote } from '../../../cli/jsonpath/unquote.js';

/** A `berth get nodes -o json` List, as kubectl hands it to the template. */
const nodes = {
  apiVersion: 'v1',
  kind: 'List',
  items: [
    {
      kind: 'Node',
      metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1', disktype: 'ssd' } },
      spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] },
      status: {
        capacity: { cpu: '4', pods: '110' },
        conditions: [
          { type: 'MemoryPressure', status: 'False' },
          { type: 'Ready', status: 'True' },
        ],
        addresses: [{ type: 'InternalIP', address: '10.0.0.11' }],
      },
    },
    {
      kind: 'Node',
      metadata: { name: 'node-2', labels: { 'kubernetes.io/hostname': 'node-2' } },
      spec: {},
      status: {
        capacity: { cpu: '8', pods: '110' },
        conditions: [{ type: 'Ready', status: 'False' }],
        addresses: [
          { type: 'InternalIP', address: '10.0.0.12' },
          { type: 'Hostname', address: 'node-2' },
        ],
      },
    },
  ],
};

const pod = {
  metadata: { name: 'web-1', annotations: { note: '<a & b>' }, deletionTimestamp: null },
  spec: {
    replicas: 3,
    ratio: 0.25,
    debug: true,
    containers: ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'].map((name, i) => ({ name, port: 8080 + i })),
  },
};

const run = (template: string, data: unknown = nodes, allowMissingKeys = true) => JsonPath.parse(template).execute(data, { allowMissingKeys });

function failure(template: string, data: unknown = nodes, allowMissingKeys = true): string {
  try {
    run(template, data, allowMissingKeys);
  } catch (err) {
    if (err instanceof JsonPathError || err instanceof JsonPathSyntaxError) return `${err.name}: ${err.message}`;
    throw err;
  }
  throw new Error(`${template} did not fail`);
}

describe('JSONPath templates (kubectl dialect)', () => {
  describe('fields and text', () => {
    it('prints a field, with text around the braces taken literally', () => {
      expect(run('{.kind}')).to.equal('List');
      expect(run('kind={.kind}\\n')).to.equal('kind=List\\n');
      expect(run('no actions at all')).to.equal('no actions at all');
    });

    it('reads $ and @ as the current object, and spaces as nothing', () => {
      expect(run('{$.kind}')).to.equal('List');
      expect(run('{ @.kind }')).to.equal('List');
    });

    it('reads keys with slashes and dashes, and dots escaped with a backslash', () => {
      expect(run('{.items[0].metadata.labels.kubernetes\\.io/hostname}')).to.equal('node-1');
      expect(run('{.items[0].status.capacity.cpu}')).to.equal('4');
    });

    it('reads a bracketed key as a path, the way kubectl does', () => {
      expect(run("{.items[0]['metadata']['name']}")).to.equal('node-1');
      expect(run("{.items[0]['metadata.name']}")).to.equal('node-1');
    });

    it('prints nothing for a missing key by default, and kubectl\'s error when missing keys are not allowed', () => {
      expect(run('{.items[0].metadata.nope}')).to.equal('');
      expect(run('before-{.nope}after')).to.equal('before-after');
      expect(failure('{.items[0].metadata.nope}', nodes, false)).to.equal('JsonPathError: nope is not found');
    });

    it('needs the leading dot: a bare word is an identifier', () => {
      expect(failure('{kind}')).to.equal('JsonPathError: unrecognized identifier kind');
    });
  });

  describe('how values print', () => {
    it('prints maps and lists as compact JSON with sorted keys, and the values of one step apart by spaces', () => {
      expect(run('{.items[1].status.capacity}')).to.equal('{"cpu":"8","pods":"110"}');
      expect(run('{.items[*].metadata.name}')).to.equal('node-1 node-2');
      expect(run('{.items[1].status.addresses[*].type}')).to.equal('InternalIP Hostname');
      expect(run('{.spec.containers[0:2]}', pod)).to.equal('{"name":"c0","port":8080} {"name":"c1","port":8081}');
    });

    it('prints numbers, booleans and null as Go does', () => {
      expect(run('{.spec.replicas} {.spec.ratio} {.spec.debug}', pod)).to.equal('3 0.25 true');
      expect(run('{.metadata.deletionTimestamp}', pod)).to.equal('<nil>');
    });

    it('escapes <, > and & in JSON as encoding/json does, and not in plain strings', () => {
      expect(run('{.metadata.annotations}', pod)).to.equal('{"note":"\\u003ca \\u0026 b\\u003e"}');
      expect(run('{.metadata.annotations.note}', pod)).to.equal('<a & b>');
    });

    it('prints the whole object for an empty action', () => {
      expect(run('{}', { b: 1, a: [true] })).to.equal('{"a":[true],"b":1}');
    });
  });

  describe('quoted literals', () => {
    it('turns escape sequences into characters', () => {
      expect(run('{.kind}{"\\t"}{.kind}{"\\n"}')).to.equal('List\tList\n');
      expect(run("{'single \\'quoted\\''}")).to.equal("single 'quoted'");
      expect(run('{"\\u00e9\\x41\\101\\\\."}')).to.equal('éAA\\.');
      expect(run('{"{"}{"}"}')).to.equal('{}');
    });

    it('refuses an unknown escape and an unterminated string', () => {
      expect(failure('{"\\q"}')).to.equal('JsonPathSyntaxError: unquote string "\\q" error invalid syntax');
      expect(failure('{"abc}')).to.equal('JsonPathSyntaxError: unterminated quoted string');
    });
  });

  describe('indexes and slices', () => {
    const names = (template: string) => run(template, pod);
    it('takes an index, a negative index from the end, and [-1:]', () => {
      expect(names('{.spec.containers[0].name}')).to.equal('c0');
      expect(names('{.spec.containers[-1].name}')).to.equal('c5');
      expect(names('{.spec.containers[-2].name}')).to.equal('c4');
      expect(names('{.spec.containers[-1:].name}')).to.equal('c5');
      expect(names('{.spec.containers[-2:].name}')).to.equal('c4 c5');
    });

    it('takes slices with steps, * and unions', () => {
      expect(names('{.spec.containers[1:3].name}')).to.equal('c1 c2');
      expect(names('{.spec.containers[:2].name}')).to.equal('c0 c1');
      expect(names('{.spec.containers[0:-1].name}')).to.equal('c0 c1 c2 c3 c4');
      expect(names('{.spec.containers[::2].name}')).to.equal('c0 c2 c4');
      expect(names('{.spec.containers[1:6:3].name}')).to.equal('c1 c4');
      expect(names('{.spec.containers[0:6:].name}')).to.equal('c0 c1 c2 c3 c4 c5');
      expect(names('{.spec.containers[*].port}')).to.equal('8080 8081 8082 8083 8084 8085');
      expect(names('{.spec.containers[0, 3,5].name}')).to.equal('c0 c3 c5');
      expect(names('{.spec.containers[0:0].name}')).to.equal('');
      expect(names('{.spec.containers[9:9].name}')).to.equal('');
    });

    it('fails as kubectl does out of bounds, even when missing keys are allowed', () => {
      expect(failure('{.spec.containers[6].name}', pod)).to.equal('JsonPathError: array index out of bounds: index 6, length 6');
      expect(failure('{.spec.containers[-7].name}', pod)).to.equal('JsonPathError: array index out of bounds: index -1, length 6');
      expect(failure('{.items[-1:]}', { items: [] })).to.equal('JsonPathError: array index out of bounds: index -1, length 0');
      expect(failure('{.spec.containers[3:1].name}', pod)).to.equal('JsonPathError: starting index 3 is greater than ending index 1');
      expect(failure('{.spec.containers[0:6:0].name}', pod)).to.equal('JsonPathError: step must be > 0');
      expect(failure('{.metadata[0]}', pod)).to.equal('JsonPathError: map[string]interface {} is not array or slice');
    });

    it('refuses an index that is not a number or a slice', () => {
      expect(failure('{.items[a]}')).to.equal('JsonPathSyntaxError: invalid array index a');
      expect(failure('{.items[0}')).to.equal('JsonPathSyntaxError: unterminated array');
    });
  });

  describe('filters', () => {
    it('keeps the elements whose field equals a string', () => {
      expect(run('{.items[0].status.conditions[?(@.type=="Ready")].status}')).to.equal('True');
      expect(run('{.items[*].status.conditions[?(@.type=="Ready")].status}')).to.equal('True False');
      expect(run("{.items[?(@.metadata.name!='node-1')].metadata.name}")).to.equal('node-2');
      expect(run('{.items[?(.metadata.name=="node-2")].status.capacity.cpu}')).to.equal('8');
    });

    it('compares numbers and booleans, and refuses to compare different kinds', () => {
      expect(run('{.spec.containers[?(@.port>=8084)].name}', pod)).to.equal('c4 c5');
      expect(run('{.spec.containers[?(@.port<8081)].name}', pod)).to.equal('c0');
      expect(run('{[?(@<5)]}', [2, 6, 3, 7])).to.equal('2 3');
      expect(run('{.items[?(@.on==true)].n}', { items: [{ n: 'a', on: true }, { n: 'b', on: false }] })).to.equal('a');
      expect(failure('{.spec.containers[?(@.port>"8080")].name}', pod)).to.equal('JsonPathError: incompatible types for comparison');
      expect(failure('{.spec.containers[?(@.port==8080.0)].name}', pod)).to.equal('JsonPathError: incompatible types for comparison');
      expect(failure('{.items[?(@.on<true)].n}', { items: [{ on: true }] })).to.equal('JsonPathError: invalid type for comparison');
      expect(failure('{.spec.containers[?(@.port<>1)].name}', pod)).to.equal('JsonPathError: unrecognized filter operator <>');
    });

    it('keeps the elements that have a field', () => {
      expect(run('{.items[?(@.spec.taints)].metadata.name}')).to.equal('node-1');
    });

    it('skips elements without the compared field, unless missing keys are errors', () => {
      const pods = { items: [{ metadata: { name: 'p1', annotations: { color: 'blue' } } }, { metadata: { name: 'p2' } }, { metadata: { name: 'p3', annotations: { color: 'blue' } } }] };
      expect(run('{.items[?(@.metadata.annotations.color=="blue")].metadata.name}', pods)).to.equal('p1 p3');
      expect(failure('{.items[?(@.metadata.annotations.color=="blue")].metadata.name}', pods, false)).to.equal('JsonPathError: annotations is not found');
    });

    it('refuses a filter over something that is not a list, and an unterminated one', () => {
      expect(failure('{.items[0].metadata[?(@.x)]}')).to.match(/^JsonPathError: \{.*\} is not array or slice and cannot be filtered$/);
      expect(failure('{.items[?(@.x=="y"]}')).to.equal('JsonPathSyntaxError: unterminated filter');
    });
  });

  describe('wildcards and recursive descent', () => {
    it('lists the values of a map with .*', () => {
      expect(run('{.items[0].status.capacity.*}')).to.equal('4 110');
    });

    it('finds a key at any depth with .., also written ...', () => {
      expect(run('{..address}')).to.equal('10.0.0.11 10.0.0.12 node-2');
      expect(run('{...address}')).to.equal('10.0.0.11 10.0.0.12 node-2');
      expect(run('{.items[?(@..cpu=="8")].metadata.name}')).to.equal('node-2');
      expect(failure('{.items[?(@..type=="Ready")].metadata.name}')).to.equal('JsonPathError: can only compare one element at a time');
      expect(run('{..}', [1, 2, 3])).to.equal('[1,2,3]');
    });

    it('refuses .. repeated', () => {
      expect(failure('{.....address}')).to.equal('JsonPathSyntaxError: invalid multiple recursive descent');
    });
  });

  describe('range and end', () => {
    it('repeats the part between range and end for each item', () => {
      expect(run('{range .items[*]}{.metadata.name}{"\\t"}{end}')).to.equal('node-1\tnode-2\t');
      expect(run('{range .items[*]}{.metadata.name}, {end}{.kind}')).to.equal('node-1, node-2, List');
    });

    it('nests ranges', () => {
      const template = '{range .items[*]}{.metadata.name}:{range .status.addresses[*]}{.address},{end}{"\\n"}{end}';
      expect(run(template)).to.equal('node-1:10.0.0.11,\nnode-2:10.0.0.12,node-2,\n');
    });

    it('prints nothing for a range over nothing, and goes on after its end', () => {
      expect(run('{range .items[*]}{.metadata.name}{end}done', { items: [] })).to.equal('done');
      expect(run('{range .nope[*]}{.x}{end}done')).to.equal('done');
    });

    it('refuses an end without a range', () => {
      expect(failure('{range .items[*]}{.kind}{end}{end}')).to.equal('JsonPathError: not in range, nothing to end');
    });
  });

  describe('syntax errors', () => {
    it('words them as kubectl does', () => {
      expect(failure('{.items')).to.equal('JsonPathSyntaxError: unclosed action');
      expect(failure('{#}')).to.equal("JsonPathSyntaxError: unrecognized character in action: U+0023 '#'");
      expect(failure('{.items[?(@.x)}')).to.equal('JsonPathSyntaxError: unclosed array expect ]');
      expect(failure('{-}')).to.equal('JsonPathSyntaxError: cannot parse number -');
    });
  });
});

describe('Go text of JSON values', () => {
  it('prints float64 as fmt does: shortest digits, exponent below 1e-4 and from 1e6', () => {
    expect(goFloat(0.25)).to.equal('0.25');
    expect(goFloat(123456.5)).to.equal('123456.5');
    expect(goFloat(1234567.5)).to.equal('1.2345675e+06');
    expect(goFloat(0.0001)).to.equal('0.0001');
    expect(goFloat(0.00001)).to.equal('1e-05');
  });

  it('prints values as fmt.Sprint does, maps with sorted keys', () => {
    expect(goSprint({ b: [1, 'x'], a: { c: null } })).to.equal('map[a:map[c:<nil>] b:[1 x]]');
    expect(goSprint([])).to.equal('[]');
    expect(goSprint(3)).to.equal('3');
  });

  it('marshals JSON as encoding/json does', () => {
    expect(goJson({ z: 1, a: ['<x>'] })).to.equal('{"a":["\\u003cx\\u003e"],"z":1}');
  });

  it('unquotes Go literals', () => {
    expect(unquote('"a\\tb"')).to.equal('a\tb');
    expect(unquote("'it\\'s'")).to.equal("it's");
    expect(() => unquote('"a"b"')).to.throw('invalid syntax');
    expect(() => unquote('"\\\'"')).to.throw('invalid syntax');
  });
});

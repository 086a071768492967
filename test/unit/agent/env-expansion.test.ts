import { expect } from 'chai';
import { expand, expandContainer } from '../../../node-agent/agent/env-expansion.js';

// The variables of Kubernetes' own expansion test table.
const VARS: Record<string, string> = {
  VAR_A: 'A',
  VAR_B: 'B',
  VAR_C: 'C',
  VAR_REF: '$(VAR_A)',
  VAR_EMPTY: '',
};
const mapping = (name: string) => VARS[name];

// [name, input, expected]: Kubernetes' third_party/forked/golang/expansion test cases.
const CASES: Array<[string, string, string]> = [
  ['whole string', '$(VAR_A)', 'A'],
  ['repeat', '$(VAR_A)-$(VAR_A)', 'A-A'],
  ['multiple repeats', '$(VAR_A)-$(VAR_B)-$(VAR_B)-$(VAR_B)-$(VAR_A)', 'A-B-B-B-A'],
  ['beginning', '$(VAR_A)-1', 'A-1'],
  ['middle', '___$(VAR_B)___', '___B___'],
  ['end', '___$(VAR_C)', '___C'],
  ['compound', '$(VAR_A)_$(VAR_B)_$(VAR_C)', 'A_B_C'],
  ['escape & expand', '$$(VAR_B)_$(VAR_A)', '$(VAR_B)_A'],
  ['compound escape', '$$(VAR_A)_$$(VAR_B)', '$(VAR_A)_$(VAR_B)'],
  ['mixed in escapes', 'f000-$$VAR_A', 'f000-$VAR_A'],
  ['backslash escape ignored', 'foo\\$(VAR_C)bar', 'foo\\Cbar'],
  ['backslash escape ignored twice', 'foo\\\\$(VAR_C)bar', 'foo\\\\Cbar'],
  ['lots of backslashes', 'foo\\\\\\\\$(VAR_A)bar', 'foo\\\\\\\\Abar'],
  ['nested var references', '$(VAR_A$(VAR_B))', '$(VAR_A$(VAR_B))'],
  ['nested var references second type', '$(VAR_A$(VAR_B)', '$(VAR_A$(VAR_B)'],
  ['value is a reference', '$(VAR_REF)', '$(VAR_A)'],
  ['value is a reference x 2', '%%$(VAR_REF)--$(VAR_REF)%%', '%%$(VAR_A)--$(VAR_A)%%'],
  ['empty var', 'foo$(VAR_EMPTY)bar', 'foobar'],
  ['unterminated expression', 'foo$(VAR_Awhoops!', 'foo$(VAR_Awhoops!'],
  ['expression without operator', 'f00__(VAR_A)__', 'f00__(VAR_A)__'],
  ['shell special vars pass through', '$?_boo_$!', '$?_boo_$!'],
  ['bare operators are ignored', '$VAR_A', '$VAR_A'],
  ['undefined vars are passed through', '$(VAR_DNE)', '$(VAR_DNE)'],
  ['multiple (even) operators, var undefined', '$$$$$$(BIG_MONEY)', '$$$(BIG_MONEY)'],
  ['multiple (even) operators, var defined', '$$$$$$(VAR_A)', '$$$(VAR_A)'],
  ['multiple (odd) operators, var undefined', '$$$$$$$(GOOD_ODDS)', '$$$$(GOOD_ODDS)'],
  ['multiple (odd) operators, var defined', '$$$$$$$(VAR_A)', '$$$A'],
  ['missing open expression', '$VAR_A)', '$VAR_A)'],
  ['shell syntax ignored', '${VAR_A}', '${VAR_A}'],
  ['trailing incomplete expression not consumed', '$(VAR_B)_______$(A', 'B_______$(A'],
  ['trailing incomplete expression, no content, is not consumed', '$(VAR_C)_______$(', 'C_______$('],
  ['operator at end of input string is preserved', '$(VAR_A)foobarzab$', 'Afoobarzab$'],
  ['shell escaped incomplete expr', 'foo-\\$(VAR_A', 'foo-\\$(VAR_A'],
  ['lots of $( in middle', '--$($($($($--', '--$($($($($--'],
  ['lots of $( in beginning', '$($($($($--foo$(', '$($($($($--foo$('],
  ['lots of $( at end', 'foo0--$($($($(', 'foo0--$($($($('],
  ['escaped operators in variable names are not escaped', '$(foo$$var)', '$(foo$$var)'],
  ['newline not expanded', '\n', '\n'],
  ['empty reference stays', '$()', '$()'],
];

describe('env expansion: $(VAR) as Kubernetes', () => {
  for (const [name, input, expected] of CASES) {
    it(`${name}: ${JSON.stringify(input)}`, () => {
      expect(expand(input, mapping)).to.equal(expected);
    });
  }
});

describe('expandContainer: the kubelet environment assembly', () => {
  const services = [
    { name: 'WEB_SERVICE_HOST', value: '10.96.0.10' },
    { name: 'KUBERNETES_SERVICE_HOST', value: '10.96.0.1' },
  ];

  it('lets a variable refer to earlier ones and to the Service variables, never to later ones', () => {
    const out = expandContainer(
      [
        { name: 'A', literal: 'a' },
        { name: 'B', literal: '$(A)-$(C)-$(WEB_SERVICE_HOST)' },
        { name: 'C', literal: 'c' },
      ],
      services,
      undefined,
      undefined,
    );
    expect(out.env.find((e) => e.name === 'B')?.value).to.equal('a-$(C)-10.96.0.10');
  });

  it('puts the container variables first and the Service variables it does not override after', () => {
    const out = expandContainer([{ name: 'WEB_SERVICE_HOST', literal: 'mine' }], services, undefined, undefined);
    expect(out.env).to.deep.equal([
      { name: 'WEB_SERVICE_HOST', value: 'mine' },
      { name: 'KUBERNETES_SERVICE_HOST', value: '10.96.0.1' },
    ]);
  });

  it('never expands a resolved (downward API) value', () => {
    const out = expandContainer([{ name: 'A', literal: 'a' }, { name: 'NOTE', resolved: '$(A) costs $$' }], [], undefined, undefined);
    expect(out.env.find((e) => e.name === 'NOTE')?.value).to.equal('$(A) costs $$');
  });

  it('expands command and args from the whole environment, later variables included', () => {
    const out = expandContainer([{ name: 'POD', resolved: 'web-0' }, { name: 'LATE', literal: 'late' }], services, ['sh', '-c', 'echo $(POD) $(LATE) $$HOME $(NOPE)'], ['$(KUBERNETES_SERVICE_HOST)']);
    expect(out.command).to.deep.equal(['sh', '-c', 'echo web-0 late $HOME $(NOPE)']);
    expect(out.args).to.deep.equal(['10.96.0.1']);
  });

  it('leaves command and args unset when the spec does not set them (the image says what to run)', () => {
    const out = expandContainer([], services, undefined, undefined);
    expect(out).to.not.have.property('command');
    expect(out).to.not.have.property('args');
  });
});

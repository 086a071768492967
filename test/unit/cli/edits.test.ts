import { expect } from 'chai';
import { editMap, labelOperation } from '../../../cli/edits/metadata-map.js';
import { parseAnnotationArgs, parseLabelArgs, splitResourcesAndPairs } from '../../../cli/edits/pairs.js';
import { isTaintArg, parseTaintArgs, taintText, updateTaints } from '../../../cli/edits/taints.js';
import { CliError } from '../../../cli/errors.js';
import type { Taint } from '../../../proto/objects/cluster.js';

/** message is what the CLI prints after `error: ` for a refused command. */
function message(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof CliError) return err.message;
    throw err;
  }
  throw new Error('expected the command to be refused');
}

describe('berth label and annotate arguments', () => {
  it('separates the objects from the changes, which must come last', () => {
    expect(splitResourcesAndPairs(['node', 'node-2', 'disktype=ssd', 'old-'], 'label')).to.deep.equal({ resources: ['node', 'node-2'], pairs: ['disktype=ssd', 'old-'] });
    expect(splitResourcesAndPairs(['pod/a', 'pod/b', 'x=y'], 'label')).to.deep.equal({ resources: ['pod/a', 'pod/b'], pairs: ['x=y'] });
    expect(message(() => splitResourcesAndPairs(['pods', 'a', 'x=y', 'b'], 'label'))).to.equal('all resources must be specified before label changes: b');
    expect(message(() => splitResourcesAndPairs(['pods', 'a', 'x=y', 'b'], 'annotation'))).to.equal('all resources must be specified before annotation changes: b');
  });

  it('reads KEY=VALUE and KEY- for labels, with kubectl\'s messages for bad ones', () => {
    expect(parseLabelArgs(['disktype=ssd', 'tier=', 'old-'])).to.deep.equal({ set: [['disktype', 'ssd'], ['tier', '']], remove: ['old'] });
    expect(message(() => parseLabelArgs(['a=b=c']))).to.equal('invalid label spec: a=b=c');
    expect(message(() => parseLabelArgs(['env']))).to.equal('unknown label spec: env');
    expect(message(() => parseLabelArgs(['env=bad value']))).to.equal(
      `invalid label value: "env=bad value": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
    expect(message(() => parseLabelArgs(['env=a', 'env-']))).to.equal('can not both modify and remove a label in the same command');
  });

  it('reads annotations, whose values may hold = and spaces', () => {
    expect(parseAnnotationArgs(['description=a = b', 'old-'])).to.deep.equal({ set: [['description', 'a = b']], remove: ['old'] });
    expect(message(() => parseAnnotationArgs(['x', 'y']))).to.equal('invalid annotation format: x, y');
    expect(message(() => parseAnnotationArgs(['a=1', 'a-']))).to.equal('can not both modify and remove the following annotation(s) in the same command: a');
  });
});

describe('editing labels and annotations of one object', () => {
  const labels = { disktype: 'hdd', app: 'web' };

  it('patches only what changes, and names the operation as kubectl does', () => {
    const added = editMap(labels, { set: [['zone', 'a'], ['app', 'web']], remove: [] }, false, 'labels');
    expect(added).to.deep.equal({ patch: { zone: 'a' }, missing: [] });
    expect(labelOperation(added.patch)).to.equal('labeled');
    const removed = editMap(labels, { set: [], remove: ['app'] }, false, 'labels');
    expect(removed.patch).to.deep.equal({ app: null });
    expect(labelOperation(removed.patch)).to.equal('unlabeled');
    expect(labelOperation(editMap(labels, { set: [['app', 'web']], remove: [] }, false, 'labels').patch)).to.equal('not labeled');
    expect(labelOperation(editMap(labels, { set: [['zone', 'a']], remove: ['app'] }, false, 'labels').patch)).to.equal('labeled');
  });

  it('reports a key to remove that the object does not have, and changes nothing for it', () => {
    expect(editMap(labels, { set: [], remove: ['x'] }, false, 'labels')).to.deep.equal({ patch: {}, missing: ['x'] });
    expect(editMap(undefined, { set: [], remove: ['x'] }, false, 'labels')).to.deep.equal({ patch: {}, missing: ['x'] });
  });

  it('refuses a new value for a key without --overwrite, with kubectl\'s wording for labels and for annotations', () => {
    expect(message(() => editMap(labels, { set: [['disktype', 'ssd']], remove: [] }, false, 'labels'))).to.equal("'disktype' already has a value (hdd), and --overwrite is false");
    expect(message(() => editMap(labels, { set: [['disktype', 'ssd'], ['app', 'db']], remove: [] }, false, 'labels'))).to.equal(
      "['disktype' already has a value (hdd), and --overwrite is false, 'app' already has a value (web), and --overwrite is false]",
    );
    expect(message(() => editMap(labels, { set: [['disktype', 'ssd'], ['app', 'db']], remove: [] }, false, 'annotations'))).to.equal(
      "--overwrite is false but found the following declared annotation(s): 'disktype' already has a value (hdd); 'app' already has a value (web)",
    );
    expect(editMap(labels, { set: [['disktype', 'ssd']], remove: [] }, true, 'labels').patch).to.deep.equal({ disktype: 'ssd' });
  });
});

describe('berth taint arguments', () => {
  it('tells taints from node names', () => {
    expect(['node', 'node-2', 'k=v:NoSchedule', 'k:NoExecute', 'k-'].map(isTaintArg)).to.deep.equal([false, false, true, true, true]);
  });

  it('reads KEY=VALUE:EFFECT, KEY:EFFECT, KEY:EFFECT- and KEY-', () => {
    expect(parseTaintArgs(['dedicated=db:NoSchedule', 'gpu:PreferNoSchedule', 'old:NoExecute-', 'legacy-'])).to.deep.equal({
      add: [
        { key: 'dedicated', value: 'db', effect: 'NoSchedule' },
        { key: 'gpu', effect: 'PreferNoSchedule' },
      ],
      remove: [{ key: 'old', effect: 'NoExecute' }, { key: 'legacy' }],
    });
  });

  it('refuses bad taints with kubectl\'s messages', () => {
    expect(message(() => parseTaintArgs(['k=v:Sometimes']))).to.equal('invalid taint effect: Sometimes, unsupported taint effect');
    expect(message(() => parseTaintArgs(['k=v']))).to.match(/^invalid taint spec: k=v, name part must consist of alphanumeric characters/);
    expect(message(() => parseTaintArgs(['k:NoSchedule:x']))).to.equal('invalid taint spec: k:NoSchedule:x');
    expect(message(() => parseTaintArgs(['k=a=b:NoSchedule']))).to.equal('invalid taint spec: k=a=b:NoSchedule');
    expect(message(() => parseTaintArgs(['k=bad value:NoSchedule']))).to.match(/^invalid taint spec: k=bad value:NoSchedule, a valid label must be an empty string/);
    expect(message(() => parseTaintArgs(['k', 'x=y:NoSchedule']))).to.equal('invalid taint spec: k');
    expect(message(() => parseTaintArgs(['k:NoSchedule', 'k=v:NoSchedule']))).to.equal('duplicated taints with the same key and effect: k=v:NoSchedule');
    expect(message(() => parseTaintArgs(['k:NoSchedule', 'k-']))).to.equal('can not both modify and remove the following taint(s) in the same command: k=');
    expect(message(() => parseTaintArgs(['k:NoSchedule', 'k:NoSchedule-']))).to.equal('can not both modify and remove the following taint(s) in the same command: k=NoSchedule');
  });

  it('prints taints as kubectl\'s Taint.ToString', () => {
    expect([{ key: 'k' }, { key: 'k', effect: 'NoSchedule' }, { key: 'k', value: 'v', effect: 'NoExecute' }].map(taintText)).to.deep.equal(['k', 'k:NoSchedule', 'k=v:NoExecute']);
  });
});

describe('updating the taints of one node', () => {
  const current: Taint[] = [
    { key: 'dedicated', value: 'db', effect: 'NoSchedule' },
    { key: 'dedicated', effect: 'NoExecute' },
  ];

  it('adds a taint in front of the others: tainted', () => {
    expect(updateTaints('node-2', current, { add: [{ key: 'gpu', effect: 'NoSchedule' }], remove: [] }, false)).to.deep.equal({
      operation: 'tainted',
      taints: [{ key: 'gpu', effect: 'NoSchedule' }, ...current],
    });
  });

  it('removes by key and effect, or every effect of a key: untainted', () => {
    expect(updateTaints('node-2', current, { add: [], remove: [{ key: 'dedicated', effect: 'NoExecute' }] }, false)).to.deep.equal({ operation: 'untainted', taints: [current[0]] });
    expect(updateTaints('node-2', current, { add: [], remove: [{ key: 'dedicated' }] }, false)).to.deep.equal({ operation: 'untainted', taints: [] });
  });

  it('says modified for an add and a removal together, and for any --overwrite', () => {
    expect(updateTaints('node-2', current, { add: [{ key: 'gpu', effect: 'NoSchedule' }], remove: [{ key: 'dedicated', effect: 'NoExecute' }] }, false).operation).to.equal('modified');
    const replaced = updateTaints('node-2', current, { add: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }], remove: [] }, true);
    expect(replaced).to.deep.equal({ operation: 'modified', taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }, current[1]] });
  });

  it('refuses a key and effect the node has without --overwrite, and a taint to remove that it lacks', () => {
    expect(message(() => updateTaints('node-2', current, { add: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }], remove: [] }, false))).to.equal(
      'node node-2 already has dedicated taint(s) with same effect(s) and --overwrite is false',
    );
    expect(message(() => updateTaints('node-2', current, { add: [], remove: [{ key: 'gpu', effect: 'NoSchedule' }] }, false))).to.equal('taint "gpu:NoSchedule" not found');
    expect(message(() => updateTaints('node-2', [], { add: [], remove: [{ key: 'a' }, { key: 'b' }] }, false))).to.equal('[taint "a" not found, taint "b" not found]');
  });
});

import { expect } from 'chai';
import { UndoStack } from '../../../node-agent/runtime/undo.js';

describe('runtime/UndoStack', () => {
  it('undoes the steps newest first and hands back the original error', async () => {
    const order: string[] = [];
    const undo = new UndoStack();
    undo.push('a', async () => void order.push('a'));
    undo.push('b', async () => void order.push('b'));
    const cause = new Error('step c failed');
    expect(await undo.rollback(cause)).to.equal(cause);
    expect(order).to.deep.equal(['b', 'a']);
  });

  it('runs every undo even when one fails, and reports both the cause and the failure', async () => {
    const order: string[] = [];
    const undo = new UndoStack();
    undo.push('remove dir', async () => void order.push('remove dir'));
    undo.push('unmount', async () => {
      throw new Error('EBUSY');
    });
    const err = await undo.rollback(new Error('create failed'));
    expect(order).to.deep.equal(['remove dir']);
    expect(err).to.be.instanceOf(AggregateError);
    expect((err as AggregateError).message).to.match(/^create failed \(and cleaning up failed: undo 'unmount' failed: EBUSY\)$/);
    expect((err as AggregateError).errors[0]).to.have.property('message', 'create failed');
  });

  it('runs each undo once', async () => {
    let runs = 0;
    const undo = new UndoStack();
    undo.push('x', async () => void runs++);
    await undo.rollback(new Error('1'));
    await undo.rollback(new Error('2'));
    expect(runs).to.equal(1);
  });
});

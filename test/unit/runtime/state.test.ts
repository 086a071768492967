import { expect } from 'chai';
import { IllegalTransitionError } from '../../../node-agent/runtime/errors.js';
import { transition, type ContainerState } from '../../../node-agent/runtime/runtime.js';

describe('runtime/ContainerState transition', () => {
  const legal: [ContainerState, ContainerState][] = [
    ['created', 'running'],
    ['created', 'exited'],
    ['created', 'removed'],
    ['running', 'exited'],
    ['exited', 'removed'],
  ];
  const all: ContainerState[] = ['created', 'running', 'exited', 'removed'];

  it('allows the lifecycle moves and returns the new state', () => {
    for (const [from, to] of legal) expect(transition(from, to)).to.equal(to);
  });

  it('refuses every other move with an error naming both states', () => {
    for (const from of all) {
      for (const to of all) {
        if (legal.some(([f, t]) => f === from && t === to)) continue;
        const attempt = () => transition(from, to);
        expect(attempt, `${from} -> ${to}`).to.throw(IllegalTransitionError, `from state '${from}' to state '${to}'`);
      }
    }
  });

  it('does not let a running container be removed without stopping', () => {
    expect(() => transition('running', 'removed')).to.throw(/'running' to state 'removed'/);
  });
});

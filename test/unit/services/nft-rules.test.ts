import { expect } from 'chai';
import { DesiredTable, emptyScope } from '../../../node-agent/services/desired-table.js';
import { emptyPlan, planService, skeletonPlan } from '../../../node-agent/services/nft-plan.js';
import { applyTransaction, emptyState, fullScope, transaction, type TableState } from '../../../node-agent/services/nft-script.js';
import { parseTableState } from '../../../node-agent/services/nft-state.js';
import { service, slice, type EndpointSpec } from '../../support/service-objects.js';

const web = (type: 'ClusterIP' | 'NodePort' | 'LoadBalancer' = 'ClusterIP') =>
  service(
    'web',
    { type, clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP', ...(type === 'ClusterIP' ? {} : { nodePort: 30080 }) }] },
    'default',
    type === 'LoadBalancer' ? { loadBalancer: { ingress: [{ ip: '10.213.0.11' }, { hostname: 'ignored.example' }] } } : undefined,
  );
const webSlice = (endpoints: EndpointSpec[]) => slice('web', 'web-1', [{ name: 'http', port: 8080 }], endpoints);

/** Programs plans one after another through a DesiredTable, as the proxy does, returning each transaction's commands. */
function programmer() {
  const desired = new DesiredTable();
  const state: TableState = emptyState();
  return (key: string, plan = emptyPlan()): string[] => {
    const scope = desired.set(key, plan, emptyScope());
    const tx = state.exists ? transaction(state, desired.merged, scope) : transaction(state, desired.merged, fullScope(state, desired.merged));
    applyTransaction(state, tx);
    return tx.commands;
  };
}

describe('service proxy rules (nft text)', () => {
  it('sends a ClusterIP port to its ready endpoints at random, and each endpoint into the hairpin set', () => {
    const plan = planService(web(), [webSlice([{ ip: '10.244.2.3' }, { ip: '10.244.1.2' }, { ip: '10.244.1.9', ready: false }])]);
    expect([...plan.chains]).to.deep.equal([['svc-default/web/tcp/http', { rules: ['meta l4proto tcp dnat ip to numgen random mod 2 map { 0 : 10.244.1.2 . 8080, 1 : 10.244.2.3 . 8080 }'] }]]);
    expect([...plan.elements['service-ips']]).to.deep.equal([['10.96.0.20 . tcp . 80', 'goto svc-default/web/tcp/http']]);
    expect([...plan.elements['cluster-ips'].keys()]).to.deep.equal(['10.96.0.20']);
    expect([...plan.elements.hairpin.keys()].sort()).to.deep.equal(['10.244.1.2 . 10.244.1.2', '10.244.2.3 . 10.244.2.3']);
  });

  it('uses a plain DNAT for one endpoint, falls back to serving terminating endpoints, and has no chain without endpoints', () => {
    expect(planService(web(), [webSlice([{ ip: '10.244.1.2' }])]).chains.get('svc-default/web/tcp/http')?.rules).to.deep.equal(['meta l4proto tcp dnat ip to 10.244.1.2:8080']);
    const draining = planService(web(), [webSlice([{ ip: '10.244.1.2', ready: false, serving: true, terminating: true }, { ip: '10.244.1.3', ready: false, serving: false, terminating: true }])]);
    expect(draining.chains.get('svc-default/web/tcp/http')?.rules).to.deep.equal(['meta l4proto tcp dnat ip to 10.244.1.2:8080']);
    const none = planService(web(), [webSlice([{ ip: '10.244.1.2', ready: false }])]);
    expect(none.chains.size).to.equal(0);
    expect(none.elements['service-ips'].size).to.equal(0);
    // Still in cluster-ips: new connections to it are refused at once.
    expect([...none.elements['cluster-ips'].keys()]).to.deep.equal(['10.96.0.20']);
  });

  it('reaches a NodePort or LoadBalancer Service from outside through an ext- chain that marks for masquerade', () => {
    const lb = planService(web('LoadBalancer'), [webSlice([{ ip: '10.244.1.2' }])]);
    expect(lb.chains.get('ext-default/web/tcp/http')?.rules).to.deep.equal(['meta mark set meta mark | 0x4000 goto svc-default/web/tcp/http']);
    expect([...lb.elements['service-nodeports']]).to.deep.equal([['tcp . 30080', 'goto ext-default/web/tcp/http']]);
    expect(lb.elements['service-ips'].get('10.213.0.11 . tcp . 80')).to.equal('goto ext-default/web/tcp/http');
  });

  it('plans nothing for a headless Service, one without an address, a deleted one, or an SCTP port', () => {
    const headless = service('h', { clusterIP: 'None', ports: [{ port: 80, protocol: 'TCP' }] });
    const sctp = service('s', { clusterIP: '10.96.0.30', ports: [{ port: 80, protocol: 'SCTP' }] });
    for (const [svc, slices] of [[headless, [slice('h', 'h-1', [{ port: 80 }], [{ ip: '10.244.1.2' }])]], [service('x', { ports: [{ port: 80 }] }), []], [undefined, []]] as const) {
      const plan = planService(svc, slices);
      expect(plan.chains.size).to.equal(0);
      expect(plan.elements['service-ips'].size).to.equal(0);
    }
    expect(planService(sctp, [slice('s', 's-1', [{ port: 80, protocol: 'SCTP' }], [{ ip: '10.244.1.2' }])]).chains.size).to.equal(0);
  });

  it('writes a new table in one transaction: table and sets, chains declared before rules and elements refer to them', () => {
    const program = programmer();
    const first = program('default/web', planService(web(), [webSlice([{ ip: '10.244.1.2' }])]));
    expect(first.slice(0, 5)).to.deep.equal([
      'add table ip berth-proxy',
      'add map ip berth-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }',
      'add map ip berth-proxy service-nodeports { type inet_proto . inet_service : verdict ; }',
      'add set ip berth-proxy cluster-ips { type ipv4_addr ; }',
      'add set ip berth-proxy hairpin { type ipv4_addr . ipv4_addr ; }',
    ]);
    const firstRule = first.findIndex((c) => c.startsWith('add rule'));
    expect(first.slice(5, firstRule).every((c) => c.startsWith('add chain'))).to.equal(true);
    expect(first.filter((c) => c.startsWith('add chain')).length).to.equal(skeletonPlan().chains.size + 1);
    expect(first.findIndex((c) => c.startsWith('add element'))).to.be.greaterThan(first.findLastIndex((c) => c.startsWith('add rule')));
    // The chain's last rule carries the hash of its content, for a restarted agent to compare.
    expect(first.some((c) => /^add rule ip berth-proxy svc-default\/web\/tcp\/http meta l4proto tcp dnat ip to 10\.244\.1\.2:8080 comment "berth:[0-9a-f]{16}"$/.test(c))).to.equal(true);
  });

  it('changes one endpoint by rewriting only that Service\'s chain and hairpin elements, and nothing when nothing changed', () => {
    const program = programmer();
    program('default/other', planService(service('other', { clusterIP: '10.96.0.21', ports: [{ port: 81, protocol: 'TCP' }] }), [slice('other', 'o', [{ port: 81 }], [{ ip: '10.244.3.3' }])]));
    program('default/web', planService(web(), [webSlice([{ ip: '10.244.1.2' }, { ip: '10.244.1.3' }])]));
    const change = program('default/web', planService(web(), [webSlice([{ ip: '10.244.1.2' }, { ip: '10.244.1.4' }])]));
    expect(change.map((c) => c.replace(/ comment "berth:\w+"/, ''))).to.deep.equal([
      'flush chain ip berth-proxy svc-default/web/tcp/http',
      'add rule ip berth-proxy svc-default/web/tcp/http meta l4proto tcp dnat ip to numgen random mod 2 map { 0 : 10.244.1.2 . 8080, 1 : 10.244.1.4 . 8080 }',
      'delete element ip berth-proxy hairpin { 10.244.1.3 . 10.244.1.3 }',
      'add element ip berth-proxy hairpin { 10.244.1.4 . 10.244.1.4 }',
    ]);
    expect(program('default/web', planService(web(), [webSlice([{ ip: '10.244.1.4' }, { ip: '10.244.1.2' }])]))).to.deep.equal([]);
  });

  it('removes a Service: its elements first, then its chains; an element another Service still needs stays', () => {
    const program = programmer();
    program('default/web', planService(web('NodePort'), [webSlice([{ ip: '10.244.1.2' }])]));
    program('default/twin', planService(service('twin', { clusterIP: '10.96.0.22', ports: [{ port: 80, protocol: 'TCP' }] }), [slice('twin', 't', [{ port: 8080 }], [{ ip: '10.244.1.2' }])]));
    const removal = program('default/web');
    expect(removal).to.deep.equal([
      'delete element ip berth-proxy service-ips { 10.96.0.20 . tcp . 80 }',
      'delete element ip berth-proxy service-nodeports { tcp . 30080 }',
      'delete element ip berth-proxy cluster-ips { 10.96.0.20 }',
      'flush chain ip berth-proxy svc-default/web/tcp/http',
      'flush chain ip berth-proxy ext-default/web/tcp/http',
      'delete chain ip berth-proxy svc-default/web/tcp/http',
      'delete chain ip berth-proxy ext-default/web/tcp/http',
    ]);
  });

  it('reads the table back from nft\'s JSON listing: a restarted agent with the same Services has nothing to do', () => {
    const desired = new DesiredTable();
    desired.set('default/web', planService(web('NodePort'), [webSlice([{ ip: '10.244.1.2' }, { ip: '10.244.1.3' }])]));
    const written = transaction(emptyState(), desired.merged, fullScope(emptyState(), desired.merged));
    // The listing nft gives for what was written: chains, rules with the hash comment on the last, set elements.
    const ruleComment = (chain: string) => written.commands.filter((c) => c.startsWith(`add rule ip berth-proxy ${chain} `)).pop()?.match(/comment "([^"]+)"/)?.[1];
    const chains = [...desired.merged.chains.keys()];
    const listing = {
      nftables: [
        { metainfo: { json_schema_version: 1 } },
        { table: { family: 'ip', name: 'berth-proxy', handle: 1 } },
        { map: { family: 'ip', name: 'service-ips', table: 'berth-proxy', map: 'verdict', elem: [[{ concat: ['10.96.0.20', 'tcp', 80] }, { goto: { target: 'svc-default/web/tcp/http' } }]] } },
        { map: { family: 'ip', name: 'service-nodeports', table: 'berth-proxy', map: 'verdict', elem: [[{ concat: ['tcp', 30080] }, { goto: { target: 'ext-default/web/tcp/http' } }]] } },
        { set: { family: 'ip', name: 'cluster-ips', table: 'berth-proxy', elem: ['10.96.0.20'] } },
        { set: { family: 'ip', name: 'hairpin', table: 'berth-proxy', elem: [{ concat: ['10.244.1.2', '10.244.1.2'] }, { concat: ['10.244.1.3', '10.244.1.3'] }] } },
        ...chains.map((name) => ({ chain: { family: 'ip', table: 'berth-proxy', name } })),
        ...chains.map((chain) => ({ rule: { family: 'ip', table: 'berth-proxy', chain, comment: ruleComment(chain), expr: [] } })),
      ],
    };
    const state = parseTableState(JSON.stringify(listing));
    expect(state.exists).to.equal(true);
    expect(transaction(state, desired.merged, fullScope(state, desired.merged)).commands).to.deep.equal([]);
    // A chain whose content differs (or lost its comment), a stray chain and a stray element are put right.
    listing.nftables.push({ chain: { family: 'ip', table: 'berth-proxy', name: 'svc-default/gone/tcp/80' } });
    const stale = parseTableState(JSON.stringify(listing).replace(ruleComment('svc-default/web/tcp/http') ?? '', 'berth:0000').replace('"10.96.0.20"]', '"10.96.0.20","10.96.9.9"]'));
    expect(transaction(stale, desired.merged, fullScope(stale, desired.merged)).commands.map((c) => c.replace(/ comment "berth:\w+"/, ''))).to.deep.equal([
      'flush chain ip berth-proxy svc-default/web/tcp/http',
      'add rule ip berth-proxy svc-default/web/tcp/http meta l4proto tcp dnat ip to numgen random mod 2 map { 0 : 10.244.1.2 . 8080, 1 : 10.244.1.3 . 8080 }',
      'delete element ip berth-proxy cluster-ips { 10.96.9.9 }',
      'flush chain ip berth-proxy svc-default/gone/tcp/80',
      'delete chain ip berth-proxy svc-default/gone/tcp/80',
    ]);
  });
});

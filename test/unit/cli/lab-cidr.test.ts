import { expect } from 'chai';
import { checkLabCidrFree, clusterRangeOverlapping, parseLabCidr } from '../../../cli/local-cluster/lab-network.js';

describe('berth up --lab-cidr and the cluster\'s own ranges', () => {
  it('refuses a lab subnet inside the pods\' or the Services\' range, naming the range', async () => {
    for (const [cidr, range] of [['10.244.136.0/24', '10.244.0.0/16'], ['10.96.0.0/20', '10.96.0.0/16'], ['10.244.0.0/16', '10.244.0.0/16']] as const) {
      const refusal = await checkLabCidrFree(parseLabCidr(cidr)).then(() => undefined, (err: unknown) => (err as Error).message);
      expect(refusal, cidr).to.equal(`--lab-cidr ${cidr} overlaps ${range}, ${range === '10.244.0.0/16' ? "the pods' addresses" : "the Services' ClusterIPs"} in the cluster; choose another subnet with --lab-cidr`);
    }
  });

  it('lets a subnet beside them through', () => {
    for (const cidr of ['10.213.0.0/24', '10.243.255.0/24', '10.245.0.0/24', '10.97.0.0/24']) expect(clusterRangeOverlapping(parseLabCidr(cidr)), cidr).to.equal(undefined);
  });
});

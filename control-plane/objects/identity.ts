import { randomUUID } from 'node:crypto';
import { apiTimestamp } from '../../proto/time.js';

/**
 * NewObjectIdentity is what the control plane gives an object it creates: a uid and a creation
 * time. Chosen once, before any transaction, so a retried write never gets a second identity.
 */
export interface NewObjectIdentity {
  uid: string;
  creationTimestamp: string;
}

/** newIdentity makes a fresh identity dated `now`. */
export function newIdentity(now = new Date()): NewObjectIdentity {
  return { uid: randomUUID(), creationTimestamp: apiTimestamp(now.getTime()) };
}

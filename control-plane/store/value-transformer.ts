/**
 * ValueTransformer is used by ObjectStore to change values on their way to etcd and back, per
 * key (Secrets are encrypted at rest this way). toStorage runs on every value written,
 * fromStorage on every value read or watched; both leave a key they do not cover unchanged.
 */
export interface ValueTransformer {
  toStorage(key: string, value: string): string;
  fromStorage(key: string, stored: Buffer): Buffer;
}

/** IDENTITY stores values as they are. */
export const IDENTITY: ValueTransformer = {
  toStorage: (_key, value) => value,
  fromStorage: (_key, stored) => stored,
};

/**
 * Errors the image subsystem throws. Each has a stable `name` and a message that says what
 * went wrong and what to try next; callers branch on the class, never on the message.
 */

/** ImageError is the base of every error thrown by node-agent/image. */
export class ImageError extends Error {
  override name = 'ImageError';
}

/** A reference string that is not a valid image reference. */
export class InvalidReferenceError extends ImageError {
  override name = 'InvalidReferenceError';
  constructor(
    readonly reference: string,
    reason: string,
  ) {
    super(`invalid image reference "${reference}": ${reason}`);
  }
}

/** The registry answered 404 for the manifest: the repository or tag does not exist. */
export class ImageNotFoundError extends ImageError {
  override name = 'ImageNotFoundError';
  constructor(
    readonly reference: string,
    readonly registryMessage: string,
  ) {
    super(
      `image "${reference}" not found: ${registryMessage || 'the registry answered 404'}; ` +
        'check the repository name and tag, and that the image was pushed to this registry',
    );
  }
}

/** Content whose sha256 differs from the digest that named it: corrupt or tampered data. */
export class DigestMismatchError extends ImageError {
  override name = 'DigestMismatchError';
  constructor(
    readonly what: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `${what}: digest mismatch, expected ${expected} but the content hashes to ${actual}; ` +
        'the registry (or a mirror) served corrupt or tampered content, nothing was stored',
    );
  }
}

/** No endpoint (mirror or origin) of a registry could be reached. */
export class RegistryUnreachableError extends ImageError {
  override name = 'RegistryUnreachableError';
  constructor(
    readonly registry: string,
    readonly attempts: readonly string[],
  ) {
    super(
      `registry ${registry} is unreachable (${attempts.join('; ')}); check the address and network, ` +
        'and list the registry under insecureRegistries if it serves plain HTTP',
    );
  }
}

/** The registry refused our credentials (or anonymous access). */
export class UnauthorizedError extends ImageError {
  override name = 'UnauthorizedError';
  constructor(
    readonly reference: string,
    readonly registryMessage: string,
  ) {
    super(
      `not authorized to pull "${reference}": ${registryMessage}; ` +
        'check that the repository exists and configure credentials for this registry if it is private',
    );
  }
}

/** Any other unexpected registry answer (5xx, malformed JSON, unsupported media type…). */
export class RegistryError extends ImageError {
  override name = 'RegistryError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The image has no manifest for this node's platform. */
export class NoMatchingPlatformError extends ImageError {
  override name = 'NoMatchingPlatformError';
  constructor(
    readonly reference: string,
    readonly wanted: string,
    readonly available: readonly string[],
  ) {
    super(
      `image "${reference}" has no manifest for ${wanted} (available: ${available.join(', ') || 'none'}); ` +
        'use an image built for this platform',
    );
  }
}

/** A layer tar that could not be unpacked (malformed, or an entry that cannot be placed). */
export class LayerUnpackError extends ImageError {
  override name = 'LayerUnpackError';
  constructor(
    readonly layer: string,
    readonly entry: string,
    reason: string,
  ) {
    super(`layer ${layer}: cannot unpack "${entry}": ${reason}`);
  }
}

/** JsonPathSyntaxError is a template that cannot be read; its message is kubectl's. */
export class JsonPathSyntaxError extends Error {
  override name = 'JsonPathSyntaxError';
}

/** JsonPathError is a template that failed on the data; its message is kubectl's. */
export class JsonPathError extends Error {
  override name = 'JsonPathError';
}

import { InvalidError } from '../errors.js';

/**
 * How deeply JSON from a request may nest. Real objects nest about 15 levels (a pod template's
 * affinity); the code that walks objects (validation, merge, copies) recurses, so a document
 * nested thousands of levels deep would exhaust the stack instead of being refused.
 */
export const MAX_JSON_DEPTH = 100;

/**
 * parseJsonInput reads JSON that arrived in a request (a manifest, a patch, a node's report),
 * refusing text that is not JSON or nests deeper than MAX_JSON_DEPTH with an InvalidError whose message
 * starts with `what` ("the patch", "node_json").
 */
export function parseJsonInput(text: string, what: string): unknown {
  const depth = nestingDepth(text);
  if (depth > MAX_JSON_DEPTH) throw new InvalidError(`${what} nests deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

/** nestingDepth is the deepest nesting of [ and { in JSON text, outside strings; one pass, no recursion. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

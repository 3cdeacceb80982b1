import type { ObjectStatus } from '../ir/types.js';
import type { ObjectLoadError } from '../objects/envelope.js';

/**
 * A document that never became an object (YAML syntax error, missing kind or name) is reported next to the rejected
 * objects, named by where it was found.
 */
export function loadErrorStatus(error: ObjectLoadError): ObjectStatus {
  const where = error.origin.file
    ? `${error.origin.file}${error.origin.line ? `:${error.origin.line}` : ''}`
    : '';
  return {
    ref: { kind: 'Document', namespace: '', name: where || error.origin.provider },
    origin: { file: error.origin.file, line: error.origin.line },
    conditions: [{ type: 'Accepted', status: 'False', reason: 'Invalid', message: error.message }],
    warnings: [],
  };
}

import type { RetryPolicy } from '../ir/types.js';

/** How a try failed before anything reached the client. */
export type TryFailure = 'connect' | 'reset' | 'timeout';

/**
 * Whether a try that failed with `failure` (or answered `status`, with `failure` null) may be repeated under
 * `policy` for `method`. Methods that are not idempotent (RFC 9110 §9.2.2) are only repeated after a connect
 * failure — nothing reached the upstream application — unless the route allows every method (`non_idempotent`).
 */
export function retryAllowed(
  policy: RetryPolicy,
  method: string,
  failure: TryFailure | null,
  status: number,
): boolean {
  switch (failure) {
    case 'connect':
      return policy.onConnectFailure;
    case 'reset':
      return policy.onReset && methodAllowed(policy, method);
    case 'timeout':
      return policy.onTimeout && methodAllowed(policy, method);
    case null:
      return policy.statuses.includes(status) && methodAllowed(policy, method);
  }
}

function methodAllowed(policy: RetryPolicy, method: string): boolean {
  if (policy.methods === 'all') return true;
  switch (method) {
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'TRACE':
    case 'PUT':
    case 'DELETE':
      return true;
    default:
      return false;
  }
}

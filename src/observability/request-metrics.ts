/**
 * What the data plane reports per finished request. Positional arguments keep the request path free of
 * per-request label objects; implementations cache their metric children.
 */
export interface RequestMetrics {
  /**
   * @param entryPoint listener name
   * @param route route name, or `''` when no route matched
   * @param backend backend name, or `''` when none was chosen
   * @param status HTTP status sent (499 when the client went away first)
   * @param seconds time from request start to the last response byte
   * @param requestBytes request body bytes relayed upstream (0 when none)
   * @param responseBytes response body bytes relayed from the upstream (0 when none)
   * @param firstByteSeconds request start to the upstream's response head, -1 when no upstream answered
   * @param retries upstream tries repeated after a failure (0 when the first try answered)
   */
  requestFinished(
    entryPoint: string,
    route: string,
    backend: string,
    method: string,
    status: number,
    seconds: number,
    requestBytes?: number,
    responseBytes?: number,
    firstByteSeconds?: number,
    retries?: number,
  ): void;
  /** A connection was accepted (+1) or closed (-1) on an entry point. */
  connectionChanged(entryPoint: string, delta: 1 | -1): void;
}

/** For tools and tests that need no metrics. */
export const noRequestMetrics: RequestMetrics = {
  requestFinished() {},
  connectionChanged() {},
};

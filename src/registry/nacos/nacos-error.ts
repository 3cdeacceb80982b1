/**
 * An error answered the way the Nacos 1.x server answers it: the HTTP status of the `NacosException` (400 invalid
 * parameter, 403 no right, 404 not found, 500 server error) and a plain-text body built like Nacos'
 * `ExceptionUtil.getAllExceptionMsg` (`caused: <message>;`).
 */
export class NacosError extends Error {
  readonly status: number;

  constructor(status: 400 | 403 | 404 | 413 | 500, message: string) {
    super(message);
    this.name = 'NacosError';
    this.status = status;
  }

  /** The response body. */
  body(): string {
    return `caused: ${this.message};`;
  }
}

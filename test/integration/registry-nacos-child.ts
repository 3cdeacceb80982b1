/**
 * A registry alone in a child process, for the kill -9 test: `node registry-nacos-child.js <dataDir>` starts the
 * embedded store and the Nacos API on 127.0.0.1:0 and prints `{"port":…}` once it listens. It never exits on its
 * own; the test kills it by PID.
 */
import { systemClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/observability/logger.js';
import {
  createRegistryStore,
  RegistryRunner,
  type RegistrySettings,
} from '../../src/registry/registry-runner.js';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: registry-nacos-child.js <dataDir>');
const settings: RegistrySettings = {
  host: '127.0.0.1',
  port: 0,
  store: 'embedded',
  etcd: { endpoints: [], prefix: '/tidegate/registry', dialTimeout: 1_000 },
  dataDir,
  namespaces: [],
  heartbeatTimeout: 15_000,
  deleteTimeout: 30_000,
  healthCheck: { interval: 60_000, timeout: 1_000 },
  auth: { enabled: false, users: [], tokenTtl: 60_000, tokenSecret: undefined },
};
const runner = new RegistryRunner(settings, {
  store: await createRegistryStore(settings, systemClock),
  clock: systemClock,
  logger: createLogger({ level: 'silent', format: 'json' }),
});
await runner.start(new AbortController().signal);
process.stdout.write(`${JSON.stringify({ port: runner.address()?.port })}\n`);

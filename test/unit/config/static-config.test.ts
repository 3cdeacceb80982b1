import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { ConfigErrors } from '../../../src/config/config-errors.js';
import {
  type ConfigOverrides,
  loadStaticConfig,
  type StaticConfig,
} from '../../../src/config/static-config.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidegate-config-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(name: string, lines: readonly string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

/** The lines of the ConfigErrors that loading throws; fails the test when loading succeeds. */
async function problems(
  configPath: string | undefined,
  env: Record<string, string> = {},
  overrides: ConfigOverrides = {},
): Promise<string[]> {
  try {
    await loadStaticConfig({ configPath, env, overrides });
  } catch (error) {
    assert.ok(error instanceof ConfigErrors, String(error));
    assert.equal(error.message, error.problems.map((p) => p.message).join('\n'));
    return error.message.split('\n');
  }
  assert.fail('expected ConfigErrors');
}

const DEFAULTS: StaticConfig = {
  entryPoints: [
    {
      name: 'web',
      address: '0.0.0.0:8080',
      host: '0.0.0.0',
      port: 8080,
      protocol: 'http',
      tls: undefined,
      forwardedHeaders: { trustedProxies: [] },
      maxHeaderSize: 16384,
      requestTimeout: 0,
      keepAliveTimeout: 75_000,
      accessLog: undefined,
    },
  ],
  admin: { address: '127.0.0.1:9000', host: '127.0.0.1', port: 9000, token: undefined },
  providers: { file: undefined, kubernetes: undefined },
  ingress: {
    className: 'tidegate',
    controllerName: 'tidegate.io/ingress-controller',
    watchWithoutClass: true,
  },
  defaults: { connectTimeout: 5000, readTimeout: 60_000, sendTimeout: 60_000, maxBodySize: 0 },
  shutdown: { drainTimeout: 30_000 },
  loadBalancing: { affinityKey: undefined },
  logging: { level: 'info', format: 'json' },
  tracing: undefined,
  demo: { whoami: [], selfSignedSecrets: [] },
  registry: {
    enabled: false,
    address: '127.0.0.1:8848',
    host: '127.0.0.1',
    port: 8848,
    dataDir: undefined,
    store: 'embedded',
    etcd: { endpoints: ['http://127.0.0.1:2379'], prefix: '/tidegate/registry', dialTimeout: 5000 },
    namespaces: [],
    heartbeatTimeout: 15_000,
    deleteTimeout: 30_000,
    healthCheck: { interval: 5000, timeout: 2000 },
    auth: { enabled: false, users: [], tokenTtl: 18_000_000, tokenSecret: undefined },
  },
  configFile: undefined,
};

test('no config file means the documented defaults', async () => {
  assert.deepEqual(await loadStaticConfig({ env: {} }), DEFAULTS);
});

test('an empty or comment-only file means defaults too, with configFile set', async () => {
  const path = await configFile('empty.yaml', ['# nothing yet']);
  assert.deepEqual(await loadStaticConfig({ configPath: path, env: {} }), { ...DEFAULTS, configFile: path });
});

test('file values are parsed and relative paths resolve against the config file directory', async () => {
  const path = await configFile('full.yaml', [
    'entryPoints:',
    '  - name: web',
    '    address: ":80"',
    '  - name: web-tls',
    '    address: "[::1]:8443"',
    '    protocol: https',
    '    tls: { certFile: certs/tls.crt, keyFile: /etc/tls.key, minVersion: TLSv1.3 }',
    '    forwardedHeaders: { trustedProxies: [10.0.0.0/8, 192.168.1.1] }',
    '    maxHeaderSize: 32k',
    '    requestTimeout: 1m30s',
    '  - name: bare-tls',
    '    address: 127.0.0.1:0',
    '    protocol: https',
    'providers:',
    '  file: { paths: [manifests, /abs/m.yaml], watch: false, debounce: 250ms }',
    'shutdown: { drainTimeout: 5s }',
    'logging: { level: debug, format: pretty }',
    'demo:',
    '  whoami: [{ name: echo-1, address: "127.0.0.1:18081" }]',
    '  selfSignedSecrets: [{ path: secrets/tls.yaml, name: shop-tls, hosts: ["*.shop.local"] }]',
  ]);
  const config = await loadStaticConfig({ configPath: path, env: {} });
  assert.equal(config.configFile, path);
  const [web, webTls, bareTls] = config.entryPoints;
  assert.deepEqual([web?.host, web?.port, web?.tls], ['', 80, undefined]);
  assert.deepEqual(webTls?.tls, {
    certFile: join(dir, 'certs/tls.crt'),
    keyFile: '/etc/tls.key',
    minVersion: 'TLSv1.3',
  });
  assert.deepEqual([webTls?.host, webTls?.port], ['::1', 8443]);
  assert.deepEqual(webTls?.forwardedHeaders.trustedProxies, ['10.0.0.0/8', '192.168.1.1/32']);
  assert.deepEqual([webTls?.maxHeaderSize, webTls?.requestTimeout], [32768, 90_000]);
  // An https entry point always has tls settings, so the listener never has to guess.
  assert.deepEqual(bareTls?.tls, { certFile: undefined, keyFile: undefined, minVersion: 'TLSv1.2' });
  assert.deepEqual(config.providers.file, {
    paths: [join(dir, 'manifests'), '/abs/m.yaml'],
    watch: false,
    debounce: 250,
  });
  assert.equal(config.shutdown.drainTimeout, 5000);
  assert.deepEqual(config.logging, { level: 'debug', format: 'pretty' });
  assert.deepEqual(config.demo.whoami, [
    { name: 'echo-1', address: '127.0.0.1:18081', host: '127.0.0.1', port: 18081 },
  ]);
  assert.deepEqual(config.demo.selfSignedSecrets, [
    { path: join(dir, 'secrets/tls.yaml'), namespace: 'default', name: 'shop-tls', hosts: ['*.shop.local'] },
  ]);
});

test('environment variables override the file', async () => {
  const path = await configFile('env.yaml', [
    'entryPoints: [{ name: web, address: ":80" }, { name: web-tls, address: ":443", protocol: https }]',
    'admin: { address: "127.0.0.1:9000" }',
    'providers: { file: { paths: [from-file] } }',
    'logging: { level: warn }',
  ]);
  const config = await loadStaticConfig({
    configPath: path,
    env: {
      TIDEGATE_ADMIN_ADDRESS: '127.0.0.1:9999',
      TIDEGATE_ENTRYPOINT_WEB_TLS_ADDRESS: '127.0.0.1:8443',
      TIDEGATE_LOG_LEVEL: 'error',
      TIDEGATE_LOG_FORMAT: 'pretty',
      TIDEGATE_SHUTDOWN_DRAIN_TIMEOUT: '2s',
      TIDEGATE_PROVIDERS_FILE_PATHS: 'a, /b/c.yaml,,',
      UNRELATED: 'x',
    },
  });
  assert.equal(config.admin.port, 9999);
  assert.deepEqual(
    config.entryPoints.map((e) => e.address),
    [':80', '127.0.0.1:8443'],
  );
  assert.deepEqual(config.logging, { level: 'error', format: 'pretty' });
  assert.equal(config.shutdown.drainTimeout, 2000);
  // Paths from the environment are relative to the working directory, not to the config file.
  assert.deepEqual(config.providers.file?.paths, [resolve('a'), '/b/c.yaml']);
  assert.equal(config.providers.file?.watch, true);
});

test('flags override the environment, which overrides the defaults; empty variables count as unset', async () => {
  const config = await loadStaticConfig({
    env: {
      TIDEGATE_ADMIN_ADDRESS: '127.0.0.1:1111',
      TIDEGATE_ENTRYPOINT_WEB_ADDRESS: '127.0.0.1:2222',
      TIDEGATE_LOG_LEVEL: 'trace',
      TIDEGATE_LOG_FORMAT: '',
      TIDEGATE_PROVIDERS_FILE_PATHS: 'env-path',
    },
    overrides: {
      adminAddress: '127.0.0.1:3333',
      entryPointAddresses: { web: '127.0.0.1:4444' },
      logLevel: 'warn',
      filePaths: ['flag-path'],
      drainTimeout: '0',
    },
  });
  assert.equal(config.admin.address, '127.0.0.1:3333');
  // `web` comes from the defaults and still takes the override.
  assert.deepEqual(
    config.entryPoints.map((e) => [e.name, e.address]),
    [['web', '127.0.0.1:4444']],
  );
  assert.deepEqual(config.logging, { level: 'warn', format: 'json' });
  assert.deepEqual(config.providers.file, { paths: [resolve('flag-path')], watch: true, debounce: 100 });
  assert.equal(config.shutdown.drainTimeout, 0);

  const envOnly = await loadStaticConfig({ env: { TIDEGATE_ENTRYPOINT_WEB_ADDRESS: '127.0.0.1:2222' } });
  assert.equal(envOnly.entryPoints[0]?.port, 2222);
});

test('every problem is reported at once as file:line: field: message', async () => {
  const path = await configFile('bad.yaml', [
    'entryPoints:',
    '  - name: web',
    '    address: "0.0.0.0:99999"',
    '    adress: typo',
    'admin:',
    '  address: localhost',
    'shutdown:',
    '  drainTimeout: 30x',
    'logging:',
    '  level: 3',
    'defaults:',
    '  readTimeout: 5 minutes',
    'extra: true',
  ]);
  const shown = path;
  assert.deepEqual(await problems(path), [
    `${shown}:3: entryPoints[0].address: invalid port "99999" in "0.0.0.0:99999": expected 0..65535`,
    `${shown}:4: entryPoints[0].adress: unknown field`,
    `${shown}:6: admin.address: expected host:port, [ipv6]:port or :port, got "localhost" (missing port)`,
    `${shown}:8: shutdown.drainTimeout: invalid duration "30x": expected a number with a unit (ms, s, m, h, d), e.g. "5s"`,
    `${shown}:10: logging.level: Invalid option: expected one of "trace"|"debug"|"info"|"warn"|"error"|"fatal"|"silent"`,
    `${shown}:12: defaults.readTimeout: invalid duration "5 minutes": expected a number with a unit (ms, s, m, h, d), e.g. "5s"`,
    `${shown}:13: extra: unknown field`,
  ]);
});

test('a wrong type and a missing required field point at their lines', async () => {
  const path = await configFile('types.yaml', [
    'ingress:',
    '  watchWithoutClass: "yes"',
    'providers:',
    '  file:',
    '    watch: false',
    'entryPoints: web',
  ]);
  assert.deepEqual(await problems(path), [
    `${path}:2: ingress.watchWithoutClass: Invalid input: expected boolean, received string`,
    `${path}:4: providers.file.paths: Invalid input: expected array, received undefined`,
    `${path}:6: entryPoints: Invalid input: expected array, received string`,
  ]);
});

test('cross-field checks: unique names, tls only on https, certFile with keyFile', async () => {
  const path = await configFile('cross.yaml', [
    'entryPoints:',
    '  - name: web',
    '    address: ":80"',
    '    tls: {}',
    '  - name: web',
    '    address: ":81"',
    '  - name: secure',
    '    address: ":443"',
    '    protocol: https',
    '    tls:',
    '      certFile: tls.crt',
  ]);
  assert.deepEqual(await problems(path), [
    `${path}:4: entryPoints[0].tls: tls is only allowed when protocol is "https" (got "http")`,
    `${path}:5: entryPoints[1].name: duplicate entry point name "web" (also entryPoints[0])`,
    `${path}:11: entryPoints[2].tls: set both certFile and keyFile, or neither (for a self-signed default certificate)`,
  ]);
});

test('an invalid override names the flag or variable it came from', async () => {
  const path = await configFile('ok.yaml', ['logging: { level: info }']);
  assert.deepEqual(
    await problems(
      path,
      { TIDEGATE_LOG_FORMAT: 'xml', TIDEGATE_ADMIN_ADDRESS: 'nope', TIDEGATE_SHUTDOWN_DRAIN_TIMEOUT: '10' },
      { logLevel: 'loud', entryPointAddresses: { api: ':1' } },
    ),
    [
      '--entrypoint api: no entry point named "api" (known: web)',
      'admin.address: expected host:port, [ipv6]:port or :port, got "nope" (missing port) (set by TIDEGATE_ADMIN_ADDRESS)',
      'shutdown.drainTimeout: invalid duration "10": expected a number with a unit (ms, s, m, h, d), e.g. "5s" (set by TIDEGATE_SHUTDOWN_DRAIN_TIMEOUT)',
      'logging.level: Invalid option: expected one of "trace"|"debug"|"info"|"warn"|"error"|"fatal"|"silent" (set by --log-level)',
      'logging.format: Invalid option: expected one of "json"|"pretty" (set by TIDEGATE_LOG_FORMAT)',
    ],
  );
  assert.deepEqual(await problems(undefined, { TIDEGATE_ENTRYPOINT_API_ADDRESS: ':1' }), [
    'TIDEGATE_ENTRYPOINT_API_ADDRESS: no entry point named "API" (known: web)',
  ]);
});

test('a missing file and a YAML syntax error are config errors with a location', async () => {
  const missing = join(dir, 'missing.yaml');
  assert.deepEqual(await problems(missing), [
    `${missing}: cannot read the configuration file: file not found`,
  ]);
  const broken = await configFile('broken.yaml', [
    'admin:',
    '  address: ":9000"',
    'logging: { level: info',
    'shutdown: {}',
  ]);
  const lines = await problems(broken);
  assert.equal(lines.length >= 1, true);
  assert.match(lines[0] ?? '', new RegExp(`^${broken.replaceAll('.', '\\.')}:\\d+: YAML syntax error: `));
  const dup = await configFile('dup.yaml', ['admin: {}', 'admin: {}']);
  assert.match((await problems(dup))[0] ?? '', /dup\.yaml:2: YAML syntax error: Map keys must be unique/);
});

test('the quickstart configuration loads, with its paths next to it', async () => {
  const config = await loadStaticConfig({ configPath: 'examples/quickstart/tidegate.yaml', env: {} });
  assert.equal(config.configFile, resolve('examples/quickstart/tidegate.yaml'));
  assert.deepEqual(config.providers.file?.paths, [resolve('examples/quickstart/manifests')]);
  assert.deepEqual(
    config.entryPoints.map((e) => [e.name, e.protocol, e.tls !== undefined]),
    [
      ['web', 'http', false],
      ['websecure', 'https', true],
    ],
  );
});

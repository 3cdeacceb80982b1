import { Command, Option } from 'commander';
import { ConfigError } from '../core/errors.js';
import { runServe } from './serve.js';
import { runValidate } from './validate.js';
import { runWhoami } from './whoami.js';

const program = new Command()
  .name('tidegate')
  .description('Cloud-native ingress gateway, load balancer and service registry')
  .showHelpAfterError();

program
  .command('serve')
  .description('run the gateway')
  .option('-c, --config <file>', 'static configuration file (tidegate.yaml)')
  .option('--admin-address <host:port>', 'admin API listen address')
  .option('--entrypoint <name=host:port...>', 'override an entry point address (repeatable)')
  .option('--file-path <path...>', 'manifest files or directories for the file provider')
  .addOption(
    new Option('--log-level <level>', 'log level').choices([
      'trace',
      'debug',
      'info',
      'warn',
      'error',
      'fatal',
      'silent',
    ]),
  )
  .addOption(new Option('--log-format <format>', 'log format').choices(['json', 'pretty']))
  .option('--drain-timeout <duration>', 'how long SIGTERM waits for in-flight requests (e.g. 30s)')
  .action(async (flags: ServeFlags) => {
    await runServe(flags);
  });

program
  .command('validate')
  .description('parse and translate manifests; print every rejected object; exit 1 if any')
  .argument('<paths...>', 'manifest files or directories')
  .option('-c, --config <file>', 'static configuration (for the ingress class settings)')
  .action(async (paths: string[], flags: { config?: string }) => {
    process.exitCode = await runValidate(paths, flags);
  });

program
  .command('whoami')
  .description('run a demo echo backend that answers with its name and what it received')
  .option('--name <name>', 'name to answer with', 'whoami')
  .option('--address <host:port>', 'listen address', '127.0.0.1:8081')
  .action(async (flags: { name: string; address: string }) => {
    await runWhoami(flags);
  });

export interface ServeFlags {
  config?: string;
  adminAddress?: string;
  entrypoint?: string[];
  filePath?: string[];
  logLevel?: string;
  logFormat?: string;
  drainTimeout?: string;
}

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`tidegate: invalid configuration\n${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `tidegate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});

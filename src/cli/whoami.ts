import { parseHostPort } from '../config/static-config.js';
import { WhoamiServer } from '../demo/whoami.js';
import { onShutdownSignal } from './signals.js';

/** `tidegate whoami`: one demo echo backend in the foreground until SIGTERM/SIGINT. */
export async function runWhoami(flags: { name: string; address: string }): Promise<void> {
  const { host, port } = parseHostPort(flags.address);
  const server = new WhoamiServer({ name: flags.name, host, port });
  const abort = new AbortController();
  await server.start(abort.signal);
  process.stdout.write(`whoami ${flags.name} listening on ${flags.address}\n`);
  await onShutdownSignal();
  abort.abort();
  await server.close();
}

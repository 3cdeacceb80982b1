import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../../src/observability/logger.js';

/** A real pino logger whose JSON lines are kept in memory, for tests that assert on what was reported. */
export function capturingLogger(level: 'debug' | 'info' = 'info'): {
  logger: Logger;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n'))
        if (text.trim() !== '') lines.push(JSON.parse(text) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level, format: 'json', destination }), lines };
}

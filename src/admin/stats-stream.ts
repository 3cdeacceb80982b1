import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LiveSample, LiveStats } from '../observability/live-stats.js';

/**
 * `GET /api/v1/stream`: Server-Sent Events (HTML Living Standard §9.2). First a `history` event with the samples
 * kept so far, then a `stats` event per interval (per-route rps, error rate, p50/p99), each carrying the snapshot
 * version so that the dashboard refetches its tables the second the configuration changes.
 */
export function serveStatsStream(
  req: IncomingMessage,
  res: ServerResponse,
  stats: LiveStats,
  version: () => number,
): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    // Reverse proxies (nginx) buffer responses by default, which would hold events back.
    'x-accel-buffering': 'no',
  });
  res.write(
    `retry: 2000\nevent: history\ndata: ${JSON.stringify({ version: version(), samples: stats.history() })}\n\n`,
  );
  const send = (sample: LiveSample): void => {
    res.write(`event: stats\ndata: ${JSON.stringify({ version: version(), ...sample })}\n\n`);
  };
  const unsubscribe = stats.subscribe(send);
  req.socket.setTimeout(0);
  res.once('close', unsubscribe);
}

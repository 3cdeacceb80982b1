/**
 * The policy table (issue 3): tidegate's requests/s per `load-balance` policy and endpoint count, through the
 * real gateway under the same load as the peer table. Each row starts a fresh gateway whose Service carries
 * `tidegate.io/load-balance: <policy>` and whose one EndpointSlice lists N loopback addresses (127.0.0.1,
 * 127.0.0.2, ... 127.0.x.y), all served by the one upstream process on one port. 64 B responses only: the
 * smaller the response, the larger the share of a request's cost that selection is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadBalanceName } from '../src/translate/services/balancing-values.js';
import { type Bench, firstResponse, HOST, log, measureSize, message, sampleRss } from './measure.js';
import { TIDEGATE_PEER } from './peers.js';
import { type Child, stopChild } from './process.js';
import { type PolicyOutcome, summarizeFailure } from './report.js';
import { startTidegate } from './tidegate.js';
import { SMALL_PATH } from './upstream.js';
import { loopbackAddresses } from './upstream-server.js';

/** Starts, measures and stops tidegate with one policy over `count` endpoints; a failure becomes its row. */
async function runPolicy(bench: Bench, policy: LoadBalanceName, count: number): Promise<PolicyOutcome> {
  const unavailable = (reason: string): PolicyOutcome => ({
    status: 'unavailable',
    policy,
    endpoints: count,
    reason,
  });
  const reason = TIDEGATE_PEER.unavailable(bench.repoRoot);
  if (reason !== undefined) return unavailable(reason);
  const workDir = mkdtempSync(join(bench.workRoot, `policy-${policy}-${count}-`));
  let child: Child | undefined;
  try {
    log(`tidegate ${policy} over ${count} endpoint${count === 1 ? '' : 's'}`);
    const running = await startTidegate(
      {
        repoRoot: bench.repoRoot,
        workDir,
        upstreamPort: bench.upstreamPort,
        host: HOST,
        cpus: bench.layout.proxyCpus,
      },
      { addresses: loopbackAddresses(count), loadBalance: policy },
    );
    child = running.child;
    await firstResponse(child, running.port);
    const rss = sampleRss(child.pid);
    try {
      const result = await measureSize(bench, child, running.port, SMALL_PATH);
      return { status: 'measured', policy, endpoints: count, result, peakRssBytes: rss.stop() };
    } finally {
      rss.stop();
    }
  } catch (error) {
    log(`tidegate ${policy} over ${count} endpoints failed: ${message(error)}`);
    return unavailable(`failed: ${summarizeFailure(message(error))}`);
  } finally {
    if (child !== undefined) await stopChild(child);
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Every selected policy over every selected endpoint count, policy by policy. */
export async function runPolicies(bench: Bench): Promise<PolicyOutcome[]> {
  const outcomes: PolicyOutcome[] = [];
  for (const policy of bench.options.policies) {
    for (const count of bench.options.endpointCounts) outcomes.push(await runPolicy(bench, policy, count));
  }
  return outcomes;
}

/** Printed under the policy table. */
export const POLICY_NOTES = [
  "CPU us/req = the gateway's CPU time per request: the cost of a policy even when the load side, not the gateway, set the pace.",
  "maglev hashes the client address (the annotation's default key); the load comes from 127.0.0.1 alone, so one endpoint takes every request: the row shows the cost of hashing and the table lookup, not the spread.",
  'At 1000 endpoints the gateway keeps ~1 upstream connection per endpoint (1000+ to the upstream instead of ~50): part of any slowdown is connection count, not selection; the picker table isolates selection.',
];

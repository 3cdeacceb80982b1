import { useMemo, useState } from 'preact/hooks';
import type {
  CertificateStatusView,
  EndpointRowView,
  OverviewView,
  RouterView,
  ServiceView,
} from '../../src/admin/api-views.js';
import type { BackendResilienceView } from '../../src/admin/backend-resilience-view.js';
import type { EndpointView, RejectedView } from '../../src/admin/snapshot-view.js';
import type { LiveSample, Rates } from '../../src/observability/live-stats.js';
import type { RegistrySnapshot } from '../../src/registry/model.js';
import type { Loaded } from './api.js';
import { date, latency, objectRef, percent, rps } from './format.js';
import { Sparkline } from './sparkline.js';

/** Renders a loaded answer, or its error. */
function Show<T>({
  loaded,
  children,
}: {
  loaded: Loaded<T> | null;
  children: (data: T) => preact.ComponentChildren;
}) {
  if (loaded === null) return <p class="muted">Loading…</p>;
  if (loaded.state === 'error')
    return (
      <p class="error" role="alert">
        {loaded.status === 401
          ? 'Unauthorized: open the dashboard with ?token=<admin.token>.'
          : loaded.message}
      </p>
    );
  return <>{children(loaded.data)}</>;
}

/** A loaded list as a table of `columns` with one `row` per item, or `empty` when it has none. */
function Listing<T>({
  loaded,
  empty,
  columns,
  row,
}: {
  loaded: Loaded<readonly T[]> | null;
  empty: string;
  columns: readonly string[];
  row: (item: T) => preact.ComponentChildren;
}) {
  return (
    <Show loaded={loaded}>
      {(list) =>
        list.length === 0 ? (
          <p class="muted">{empty}</p>
        ) : (
          <table>
            <Head columns={columns} />
            <tbody>{list.map(row)}</tbody>
          </table>
        )
      }
    </Show>
  );
}

function Filter({
  value,
  onInput,
  placeholder,
}: {
  value: string;
  onInput: (v: string) => void;
  placeholder: string;
}) {
  return (
    <input
      class="filter"
      type="search"
      placeholder={placeholder}
      value={value}
      onInput={(event) => onInput((event.target as HTMLInputElement).value)}
    />
  );
}

function matches(filter: string, ...texts: readonly (string | undefined)[]): boolean {
  const needle = filter.trim().toLowerCase();
  return needle === '' || texts.some((t) => t?.toLowerCase().includes(needle));
}

/** A table head; a column written `#name` is numeric (right-aligned). */
function Head({ columns }: { columns: readonly string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c) =>
          c.startsWith('#') ? (
            <th key={c} class="num">
              {c.slice(1)}
            </th>
          ) : (
            <th key={c}>{c}</th>
          ),
        )}
      </tr>
    </thead>
  );
}

const RATE_COLUMNS = ['#req/s', '#5xx', '#p50', '#p99'] as const;

function RateCells({ rates }: { rates: Rates | undefined }) {
  return (
    <>
      <td class="num">{rps(rates?.rps)}</td>
      <td class={`num ${rates !== undefined && rates.errorRate > 0 ? 'bad' : ''}`}>
        {percent(rates?.errorRate)}
      </td>
      <td class="num">{latency(rates?.p50)}</td>
      <td class="num">{latency(rates?.p99)}</td>
    </>
  );
}

export function OverviewPage({
  overview,
  samples,
}: {
  overview: Loaded<OverviewView> | null;
  samples: readonly LiveSample[];
}) {
  const last = samples[samples.length - 1];
  const chart = useMemo(
    () => ({
      times: samples.map((s) => s.time / 1000),
      rps: samples.map((s) => s.totals.rps),
      errors: samples.map((s) => s.totals.rps * s.totals.errorRate),
      p50: samples.map((s) => (s.totals.p50 === null ? null : s.totals.p50 * 1000)),
      p99: samples.map((s) => (s.totals.p99 === null ? null : s.totals.p99 * 1000)),
    }),
    [samples],
  );
  return (
    <Show loaded={overview}>
      {(o) => (
        <>
          <section class="cards">
            <Card label="Requests/s" value={rps(last?.totals.rps)} />
            <Card
              label="Errors (5xx)"
              value={percent(last?.totals.errorRate)}
              bad={(last?.totals.errorRate ?? 0) > 0}
            />
            <Card label="p50 / p99" value={`${latency(last?.totals.p50)} / ${latency(last?.totals.p99)}`} />
            <Card label="Routers" value={String(o.counts.routers)} href="#/routers" />
            <Card
              label="Endpoints ready"
              value={`${o.counts.endpointsReady} / ${o.counts.endpoints}`}
              bad={o.counts.endpointsReady < o.counts.endpoints}
              href="#/services"
            />
            <Card
              label="Certificates expiring"
              value={String(o.counts.certificatesExpiring)}
              bad={o.counts.certificatesExpiring > 0}
              href="#/certificates"
            />
            <Card
              label="Rejected objects"
              value={String(o.counts.rejected)}
              bad={o.counts.rejected > 0}
              href="#/rejected"
            />
            <Card
              label="Circuits open"
              value={String(o.counts.circuitsOpen)}
              bad={o.counts.circuitsOpen > 0}
              href="#/services"
            />
          </section>
          <section class="charts">
            <div class="panel">
              <h3>Traffic</h3>
              <Sparkline
                times={chart.times}
                series={[
                  { label: 'req/s', values: chart.rps, color: '#3b82f6' },
                  { label: '5xx/s', values: chart.errors, color: '#ef4444' },
                ]}
              />
            </div>
            <div class="panel">
              <h3>Latency (ms)</h3>
              <Sparkline
                times={chart.times}
                series={[
                  { label: 'p50', values: chart.p50, color: '#10b981' },
                  { label: 'p99', values: chart.p99, color: '#f59e0b' },
                ]}
              />
            </div>
          </section>
          <h2>Entry points</h2>
          <table id="entry-points">
            <Head columns={['Name', 'Protocol', 'Address', ...RATE_COLUMNS]} />
            <tbody>
              {o.entryPoints.map((e) => (
                <tr key={e.name}>
                  <td>{e.name}</td>
                  <td>{e.protocol}</td>
                  <td>
                    <code>{e.address}</code>
                  </td>
                  <RateCells rates={last?.entryPoints[e.name]} />
                </tr>
              ))}
            </tbody>
          </table>
          <p class="muted">
            Snapshot v{o.version} · providers: {o.providers.join(', ') || 'none'} · started{' '}
            {date(o.startedAt)} · last reload{' '}
            {o.lastReload === null ? '–' : `${date(o.lastReload.at)} ${o.lastReload.ok ? 'ok' : 'failed'}`}
          </p>
        </>
      )}
    </Show>
  );
}

function Card({
  label,
  value,
  bad = false,
  href,
}: {
  label: string;
  value: string;
  bad?: boolean;
  href?: string;
}) {
  const body = (
    <>
      <div class="card-value">{value}</div>
      <div class="card-label">{label}</div>
    </>
  );
  return (
    <div class={`card ${bad ? 'bad' : ''}`}>{href === undefined ? body : <a href={href}>{body}</a>}</div>
  );
}

function matchText(route: RouterView): string {
  const m = route.match;
  return m.type === 'RegularExpression'
    ? `~${m.caseInsensitive ? '*' : ''} ${m.pattern}`
    : `${m.type} ${m.path}`;
}

export function RoutersPage({
  routers,
  last,
}: {
  routers: Loaded<RouterView[]> | null;
  last: LiveSample | undefined;
}) {
  const [filter, setFilter] = useState('');
  const rates = useMemo(() => new Map((last?.routes ?? []).map((r) => [r.route, r])), [last]);
  return (
    <Show loaded={routers}>
      {(list) => (
        <>
          <Filter value={filter} onInput={setFilter} placeholder="Filter by host, path, service or name" />
          <table id="routers">
            <Head columns={['Host', 'Path', 'Service', 'Filters', ...RATE_COLUMNS]} />
            <tbody>
              {list
                .filter((r) => matches(filter, r.host, matchText(r), r.backend, r.name))
                .map((r) => (
                  <tr key={r.name} data-route={r.name} title={`${r.name} (from ${objectRef(r.source)})`}>
                    <td>{r.host}</td>
                    <td>
                      <code>{matchText(r)}</code>
                    </td>
                    <td>
                      {r.invalid === undefined ? (
                        r.backend
                      ) : (
                        <span class="badge bad">
                          {r.invalid.status} {r.invalid.reason}
                        </span>
                      )}
                    </td>
                    <td>{policyText(r)}</td>
                    <RateCells rates={rates.get(r.name)} />
                  </tr>
                ))}
            </tbody>
          </table>
          <p class="muted">{list.length} routers</p>
        </>
      )}
    </Show>
  );
}

function policyText(route: RouterView): string {
  const p = route.policy;
  const parts: string[] = [];
  if (p.rewrite !== null) parts.push('rewrite');
  if (p.httpsRedirect !== null) parts.push(`https redirect ${p.httpsRedirect.status}`);
  if (p.maxBodyBytes !== null) parts.push(`body ≤ ${p.maxBodyBytes} B`);
  if (p.upstreamProtocol === 'https') parts.push('https upstream');
  return parts.join(', ') || '–';
}

/** An endpoint's state as one word: what an operator looks for first. */
export function endpointHealth(e: EndpointView): 'healthy' | 'unhealthy' | 'ejected' | 'terminating' {
  if (e.health?.ejected) return 'ejected';
  if (e.terminating) return 'terminating';
  if (!e.ready || e.health?.available === false) return 'unhealthy';
  return 'healthy';
}

function EndpointRow({ e }: { e: EndpointView | EndpointRowView }) {
  const health = endpointHealth(e);
  return (
    <tr data-endpoint={`${e.address}:${e.port}`} data-health={health}>
      <td>
        <code>
          {e.address}:{e.port}
        </code>
      </td>
      <td>
        <span class={`badge ${health === 'healthy' ? 'good' : 'bad'}`}>{health}</span>
      </td>
      <td>{e.ready ? 'yes' : 'no'}</td>
      <td>{e.health?.lastCheck ?? '–'}</td>
      <td>{e.health?.ejected ? `until ${date(e.health.ejectedUntil)}` : 'no'}</td>
      <td class="num">{e.health?.inFlight ?? '–'}</td>
      <td class="num">{e.health === null ? '–' : `${e.health.ewmaMs.toFixed(1)} ms`}</td>
      <td class="num">{e.weight}</td>
    </tr>
  );
}

function BreakerBadge({ state }: { state: BackendResilienceView['breaker'] }) {
  const tone = state === 'closed' ? 'good' : state === 'open' ? 'bad' : 'warn';
  return <span class={`badge ${tone}`} data-breaker={state}>{`circuit ${state}`}</span>;
}

/** The backend guard's counters against their limits (Envoy's circuit-breaker thresholds). */
function GuardLine({ r }: { r: BackendResilienceView }) {
  return (
    <p class="muted guard">
      in flight {r.requests}/{r.limits.maxRequests} · pending {r.pending}/{r.limits.maxPendingRequests} ·{' '}
      <span class={r.overflows > 0 ? 'bad' : ''} data-overflows={r.overflows}>
        overflows {r.overflows}
      </span>{' '}
      ·{' '}
      <span class={r.retryBudgetRefused > 0 ? 'warn' : ''} data-budget-refused={r.retryBudgetRefused}>
        retries refused by budget ({r.limits.retryBudgetPercent}%) {r.retryBudgetRefused}
      </span>
      {r.tripExpression === null ? null : (
        <>
          {' '}
          · breaker <code>{r.tripExpression}</code> opened {r.breakerOpened}×
        </>
      )}
    </p>
  );
}

export function ServicesPage({ services }: { services: Loaded<ServiceView[]> | null }) {
  const [filter, setFilter] = useState('');
  return (
    <Show loaded={services}>
      {(list) => (
        <>
          <Filter value={filter} onInput={setFilter} placeholder="Filter by service or endpoint address" />
          {list
            .filter((s) => matches(filter, s.name, ...s.endpoints.map((e) => e.address)))
            .map((s) => (
              <section class="panel service" key={s.name} data-service={s.name}>
                <h3>
                  {s.name}{' '}
                  <span class={`badge ${s.available > 0 ? 'good' : 'bad'}`}>
                    {s.available}/{s.endpoints.length} available
                  </span>{' '}
                  {s.resilience?.tripExpression ? <BreakerBadge state={s.resilience.breaker} /> : null}{' '}
                  <span class="muted">
                    {s.kind} · {objectRef(s.source)} · routes: {s.routes.length}
                  </span>
                </h3>
                {s.resilience === null ? null : <GuardLine r={s.resilience} />}
                {s.endpoints.length === 0 ? (
                  <p class="muted">No endpoints.</p>
                ) : (
                  <table>
                    <Head
                      columns={[
                        'Endpoint',
                        'State',
                        'Ready',
                        'Active check',
                        'Ejected',
                        '#In flight',
                        '#EWMA',
                        '#Weight',
                      ]}
                    />
                    <tbody>
                      {s.endpoints.map((e) => (
                        <EndpointRow key={e.name} e={e} />
                      ))}
                    </tbody>
                  </table>
                )}
              </section>
            ))}
        </>
      )}
    </Show>
  );
}

export function CertificatesPage({ certificates }: { certificates: Loaded<CertificateStatusView[]> | null }) {
  return (
    <Listing
      loaded={certificates}
      empty="No certificates."
      columns={['Certificate', 'Hosts', 'Issuer', 'Not after', 'Status']}
      row={(c) => (
        <tr key={c.name} data-certificate={c.name}>
          <td>{objectRef(c.source)}</td>
          <td>{c.hosts.join(', ')}</td>
          <td>{c.issuer ?? '–'}</td>
          <td>{date(c.notAfter)}</td>
          <td>
            <span class={`badge ${c.status === 'ok' ? 'good' : c.status === 'expiring' ? 'warn' : 'bad'}`}>
              {c.status === 'ok' || c.status === 'expiring' ? `${c.daysLeft} days` : c.status}
            </span>
          </td>
        </tr>
      )}
    />
  );
}

export function RejectedPage({ rejected }: { rejected: Loaded<RejectedView[]> | null }) {
  return (
    <Listing
      loaded={rejected}
      empty="Every object was accepted."
      columns={['Object', 'Where', 'Problems']}
      row={(r) => (
        <tr key={objectRef(r.ref)}>
          <td>{objectRef(r.ref)}</td>
          <td>{r.origin?.file ? `${r.origin.file}${r.origin.line ? `:${r.origin.line}` : ''}` : '–'}</td>
          <td>
            <ul>
              {r.conditions
                .filter((c) => c.status === 'False')
                .map((c) => (
                  <li key={c.type} class="bad">
                    {c.type}={c.reason}: {c.message}
                  </li>
                ))}
              {r.warnings.map((w) => (
                <li key={w} class="warn">
                  warning: {w}
                </li>
              ))}
            </ul>
          </td>
        </tr>
      )}
    />
  );
}

export function RegistryPage({ registry }: { registry: Loaded<RegistrySnapshot> | null }) {
  if (registry?.state === 'error' && registry.status === 404)
    return <p class="muted">The service registry is not enabled on this gateway.</p>;
  return (
    <Show loaded={registry}>
      {(snapshot) =>
        snapshot.services.length === 0 ? (
          <p class="muted">No registered services.</p>
        ) : (
          <>
            {snapshot.services.map(({ service, instances }) => (
              <section class="panel" key={`${service.namespace}/${service.group}/${service.service}`}>
                <h3>
                  {service.service}{' '}
                  <span class="muted">
                    {service.namespace} · {service.group}
                  </span>
                </h3>
                <table>
                  <Head columns={['Instance', 'Cluster', 'Healthy', 'Enabled', 'Ephemeral', '#Weight']} />
                  <tbody>
                    {instances.map((i) => (
                      <tr key={`${i.ip}:${i.port}:${i.clusterName}`}>
                        <td>
                          <code>
                            {i.ip}:{i.port}
                          </code>
                        </td>
                        <td>{i.clusterName}</td>
                        <td>
                          <span class={`badge ${i.healthy ? 'good' : 'bad'}`}>
                            {i.healthy ? 'healthy' : 'unhealthy'}
                          </span>
                        </td>
                        <td>{i.enabled ? 'yes' : 'no'}</td>
                        <td>{i.ephemeral ? 'yes' : 'no'}</td>
                        <td class="num">{i.weight}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
            ))}
            <p class="muted">revision {snapshot.revision}</p>
          </>
        )
      }
    </Show>
  );
}

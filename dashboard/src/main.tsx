import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type {
  CertificateStatusView,
  OverviewView,
  RouterView,
  ServiceView,
} from '../../src/admin/api-views.js';
import type { RejectedView } from '../../src/admin/snapshot-view.js';
import type { LiveSample } from '../../src/observability/live-stats.js';
import type { RegistrySnapshot } from '../../src/registry/model.js';
import { getJson, type Loaded, openStream } from './api.js';
import {
  CertificatesPage,
  OverviewPage,
  RegistryPage,
  RejectedPage,
  RoutersPage,
  ServicesPage,
} from './pages.js';

const PAGES = [
  { id: 'overview', title: 'Overview', api: 'overview' },
  { id: 'routers', title: 'Routers', api: 'routers' },
  { id: 'services', title: 'Services', api: 'services' },
  { id: 'certificates', title: 'Certificates', api: 'certificates' },
  { id: 'rejected', title: 'Rejected', api: 'rejected' },
  { id: 'registry', title: 'Registry', api: 'registry' },
] as const;
type PageId = (typeof PAGES)[number]['id'];

/** Samples kept for the charts: two minutes at one per second. */
const HISTORY = 120;
/** Endpoint health changes without a new snapshot (active checks, ejections): those pages poll this often. */
const HEALTH_POLL_MS = 2_000;

function currentPage(): PageId {
  const id = location.hash.replace(/^#\/?/, '');
  return PAGES.find((p) => p.id === id)?.id ?? 'overview';
}

function App() {
  const [page, setPage] = useState<PageId>(currentPage);
  const [samples, setSamples] = useState<readonly LiveSample[]>([]);
  const [version, setVersion] = useState(0);
  const [live, setLive] = useState(false);
  // Tagged with its page, so that a page never renders the previous page's answer while its own loads.
  const [loaded, setLoaded] = useState<{ page: PageId; data: Loaded<unknown> } | null>(null);
  const [poll, setPoll] = useState(0);

  useEffect(() => {
    const onHash = (): void => setPage(currentPage());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  useEffect(
    () =>
      openStream({
        history: (v, history) => {
          setVersion(v);
          setSamples(history.slice(-HISTORY));
        },
        stats: (event) => {
          setVersion(event.version);
          setSamples((previous) => [...previous.slice(-(HISTORY - 1)), event]);
        },
        connection: setLive,
      }),
    [],
  );

  useEffect(() => {
    if (page !== 'services' && page !== 'registry') return;
    const timer = setInterval(() => setPoll((n) => n + 1), HEALTH_POLL_MS);
    return () => clearInterval(timer);
  }, [page]);

  // Refetch when the page, the snapshot version (a configuration change) or the health poll changes.
  useEffect(() => {
    let current = true;
    const api = PAGES.find((p) => p.id === page)?.api ?? 'overview';
    void getJson<unknown>(api).then((data) => {
      if (current) setLoaded({ page, data });
    });
    return () => {
      current = false;
    };
  }, [page, version, poll]);

  const last = samples[samples.length - 1];
  const data = loaded !== null && loaded.page === page ? loaded.data : null;
  return (
    <>
      <header>
        <span class="brand">tidegate</span>
        <nav>
          {PAGES.map((p) => (
            <a key={p.id} href={`#/${p.id}`} class={p.id === page ? 'active' : ''}>
              {p.title}
            </a>
          ))}
        </nav>
        <span class={`live ${live ? 'good' : 'bad'}`} title="live statistics stream">
          {live ? `live · v${version}` : 'disconnected'}
        </span>
      </header>
      <main data-page={page}>
        <h1>{PAGES.find((p) => p.id === page)?.title}</h1>
        {page === 'overview' && (
          <OverviewPage overview={data as Loaded<OverviewView> | null} samples={samples} />
        )}
        {page === 'routers' && <RoutersPage routers={data as Loaded<RouterView[]> | null} last={last} />}
        {page === 'services' && <ServicesPage services={data as Loaded<ServiceView[]> | null} />}
        {page === 'certificates' && (
          <CertificatesPage certificates={data as Loaded<CertificateStatusView[]> | null} />
        )}
        {page === 'rejected' && <RejectedPage rejected={data as Loaded<RejectedView[]> | null} />}
        {page === 'registry' && <RegistryPage registry={data as Loaded<RegistrySnapshot> | null} />}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);

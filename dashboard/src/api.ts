/**
 * The dashboard's only way to the gateway: the admin API of the origin that served it. A bearer token given once
 * as `?token=` in the dashboard URL is kept for the tab (sessionStorage) and sent with every call.
 */
import type { LiveSample } from '../../src/observability/live-stats.js';

const TOKEN_KEY = 'tidegate.token';

function token(): string | null {
  const fromUrl = new URLSearchParams(location.search).get('token');
  if (fromUrl !== null) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    // Keep the token out of the address bar, history and screenshots.
    history.replaceState(null, '', location.pathname + location.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

const bearer = token();

/** An API answer, or the reason there is none. */
export type Loaded<T> =
  | { readonly state: 'ok'; readonly data: T }
  | { readonly state: 'error'; readonly status: number; readonly message: string };

/** GET `/api/v1/<path>` as JSON. */
export async function getJson<T>(path: string): Promise<Loaded<T>> {
  try {
    const response = await fetch(`/api/v1/${path}`, {
      headers: bearer === null ? {} : { authorization: `Bearer ${bearer}` },
      cache: 'no-store',
    });
    const body = (await response.json()) as unknown;
    if (!response.ok) {
      const message = (body as { error?: string }).error ?? response.statusText;
      return { state: 'error', status: response.status, message };
    }
    return { state: 'ok', data: body as T };
  } catch (error) {
    return { state: 'error', status: 0, message: error instanceof Error ? error.message : String(error) };
  }
}

/** A live statistics event, with the snapshot version it was sent under. */
export type StatsEvent = LiveSample & { readonly version: number };

export interface StreamHandlers {
  history(version: number, samples: readonly LiveSample[]): void;
  stats(event: StatsEvent): void;
  connection(open: boolean): void;
}

/** Subscribes to `/api/v1/stream` (reconnecting by itself, as EventSource does); returns the closer. */
export function openStream(handlers: StreamHandlers): () => void {
  const query = bearer === null ? '' : `?access_token=${encodeURIComponent(bearer)}`;
  const source = new EventSource(`/api/v1/stream${query}`);
  source.addEventListener('open', () => handlers.connection(true));
  source.addEventListener('error', () => handlers.connection(false));
  source.addEventListener('history', (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as {
      version: number;
      samples: LiveSample[];
    };
    handlers.history(data.version, data.samples);
  });
  source.addEventListener('stats', (event) => {
    handlers.stats(JSON.parse((event as MessageEvent<string>).data) as StatsEvent);
  });
  return () => source.close();
}

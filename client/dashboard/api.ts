// Reads of the site's HTTP API, with the dashboard's access (share token or read token) as a bearer.
import type { HistoryPoint } from './day-series.js';

export interface DayPage {
  url: string;
  title?: string;
  section?: string;
  pageviews: number;
}

export interface Api {
  history(from: string, to: string, period?: 'minute' | 'hour'): Promise<HistoryPoint[]>;
  pagesToday(limit: number): Promise<DayPage[]>;
}

export function makeApi(base: string, site: string, token: string | undefined): Api {
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(new URL(`api/sites/${encodeURIComponent(site)}/${path}`, base), {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(15_000),
    });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  };
  return {
    history: async (from, to, period = 'minute') =>
      (await get<{ points: HistoryPoint[] }>(`history?period=${period}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)).points,
    pagesToday: async (limit) => (await get<{ pages: DayPage[] }>(`pages/today?limit=${limit}`)).pages,
  };
}

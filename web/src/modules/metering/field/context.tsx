/**
 * State of the field app shared by its pages: the user's routes and tasks of the period (from
 * the server, or the cached copy when offline), the offline queue, online state and sync.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { App } from 'antd';
import { useAuth } from '../../../app/auth';
import { fieldApi, syncApi, type RouteTasks } from './api';
import { useFT } from './i18n';
import { currentVisit, dayOf, errorText, periodOf, syncQueue, unsyncedCount, type FieldVisit, type SyncReport } from './queue';
import { fieldStore, type FieldStore } from './store';

export interface TasksData {
  routes: RouteTasks[];
  fetchedAt: string;
  fromCache: boolean;
}

export interface FieldCtx {
  username: string;
  period: string;
  today: string;
  mine: boolean;
  setMine: (v: boolean) => void;
  data: TasksData | null;
  loading: boolean;
  loadError: string | null;
  reload: () => Promise<void>;
  visits: FieldVisit[];
  unsynced: number;
  visitOf: (taskId: number) => FieldVisit | null;
  online: boolean;
  syncing: boolean;
  lastSync: { at: string; report: SyncReport } | null;
  sync: (manual?: boolean) => Promise<void>;
  store: FieldStore | null;
  saveVisit: (v: FieldVisit, photo: Blob | null, replaces: FieldVisit | null) => Promise<void>;
}

const Ctx = createContext<FieldCtx | null>(null);

export function useField(): FieldCtx {
  const v = useContext(Ctx);
  if (!v) throw new Error('useField outside FieldProvider');
  return v;
}

const MINE_KEY = 'voltline.field.mine';

/** routes with a pending task due today or earlier first, then by the earliest pending due date */
export function sortRoutes(routes: RouteTasks[], today: string): RouteTasks[] {
  const key = (r: RouteTasks) => {
    const due = r.items.filter((t) => t.status === 'pending').map((t) => t.dueDate).sort();
    return due.length ? [due[0] <= today ? 0 : 1, due[0]] as const : ([2, r.items[0]?.dueDate ?? ''] as const);
  };
  return [...routes].sort((a, b) => {
    const ka = key(a), kb = key(b);
    return ka[0] - kb[0] || (ka[1] < kb[1] ? -1 : ka[1] > kb[1] ? 1 : 0) || a.route.code.localeCompare(b.route.code);
  });
}

async function fetchAll(period: string, mine: boolean, today: string): Promise<RouteTasks[]> {
  const routes = (await fieldApi.routes()).items;
  const out: RouteTasks[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(3, routes.length) }, async () => {
    while (next < routes.length) {
      const r = routes[next++];
      const t = await fieldApi.tasks(r.id, period, mine);
      if (t.items.length) out.push(t);
    }
  }));
  return sortRoutes(out, today);
}

export function FieldProvider({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  const { t } = useFT();
  const { message } = App.useApp();
  const username = user?.username ?? '-';
  const [now] = useState(() => new Date());
  const period = periodOf(now);
  const today = dayOf(now);
  const [mine, setMineState] = useState<boolean>(() => {
    try {
      return localStorage.getItem(MINE_KEY) !== 'false';
    } catch {
      return true;
    }
  });
  const [store, setStore] = useState<FieldStore | null>(null);
  const [data, setData] = useState<TasksData | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [visits, setVisits] = useState<FieldVisit[]>([]);
  const [online, setOnline] = useState<boolean>(() => (typeof navigator === 'undefined' ? true : navigator.onLine));
  const [syncing, setSyncing] = useState(false);
  const [lastSync, setLastSync] = useState<{ at: string; report: SyncReport } | null>(null);
  const syncRunning = useRef(false);
  const syncAgain = useRef(false);
  const mineRef = useRef(mine);
  mineRef.current = mine;
  const tRef = useRef(t);
  tRef.current = t;

  const cacheKey = (m: boolean) => `tasks|${username}|${period}|${m ? 'mine' : 'all'}`;

  const refreshVisits = useCallback(async (s: FieldStore) => setVisits(await s.listVisits(username)), [username]);

  // only the latest load may set the state (a slow earlier fetch must not overwrite it)
  const loadSeq = useRef(0);
  const load = useCallback(async (s: FieldStore, m: boolean) => {
    const seq = ++loadSeq.current;
    const current = () => seq === loadSeq.current;
    setLoading(true);
    setLoadError(null);
    const cached = await s.getCache<TasksData>(cacheKey(m)).catch(() => null);
    if (cached && current()) setData({ ...cached, fromCache: true });
    try {
      const routes = await fetchAll(period, m, today);
      const fresh: TasksData = { routes, fetchedAt: new Date().toISOString(), fromCache: false };
      await s.putCache(cacheKey(m), fresh).catch(() => undefined);
      if (current()) setData(fresh);
    } catch (e) {
      if (!current()) return;
      if (!cached) setData(null);
      // offline is not an error here: the cached copy (or the empty-cache notice) is shown
      if ((e as { status?: number }).status !== 0) setLoadError(errorText(e));
    } finally {
      if (current()) setLoading(false);
    }
  }, [period, today, username]);

  const sync = useCallback(async (manual = false) => {
    const s = await fieldStore();
    if (syncRunning.current) {
      syncAgain.current = true;
      return;
    }
    syncRunning.current = true;
    setSyncing(true);
    try {
      let sentAny = false;
      do {
        syncAgain.current = false;
        const report = await syncQueue(s, syncApi, username);
        setLastSync({ at: new Date().toISOString(), report });
        await refreshVisits(s);
        if (report.sent > 0) sentAny = true;
        const tt = tRef.current;
        if (report.photosRefused) message.warning(tt('f.photoRefused', { n: report.photosRefused }));
        if (report.stoppedBy) {
          if (manual) message.warning(navigator.onLine ? tt('f.syncStopped', { why: report.stoppedBy }) : tt('f.syncOffline'));
          break;
        }
        if (report.sent > 0) message.success(tt('f.syncDone', { synced: report.synced, rejected: report.rejected, dup: report.duplicates }));
        else if (manual) message.info(tt('f.syncNothing'));
      } while (syncAgain.current);
      if (sentAny) await load(s, mineRef.current);
    } finally {
      syncRunning.current = false;
      setSyncing(false);
    }
  }, [username, refreshVisits, load, message]);

  // open the store; show what is on the device, then fetch, then sync (app open)
  useEffect(() => {
    let gone = false;
    fieldStore().then(async (s) => {
      if (gone) return;
      setStore(s);
      await refreshVisits(s);
      await load(s, mineRef.current);
      if (!gone && navigator.onLine) await sync(false);
    });
    return () => {
      gone = true;
    };
  }, [username]);

  useEffect(() => {
    const on = () => {
      setOnline(true);
      void sync(false);
    };
    const off = () => setOnline(false);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    return () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
    };
  }, [sync]);

  const setMine = useCallback((v: boolean) => {
    setMineState(v);
    mineRef.current = v;
    try {
      localStorage.setItem(MINE_KEY, String(v));
    } catch {
      /* ignore */
    }
    setData(null);
    if (store) void load(store, v);
  }, [store, load]);

  const reload = useCallback(async () => {
    if (store) await load(store, mineRef.current);
  }, [store, load]);

  const saveVisit = useCallback(async (v: FieldVisit, photo: Blob | null, replaces: FieldVisit | null) => {
    const s = await fieldStore();
    if (photo && v.photo) await s.putPhoto(v.photo.id, photo);
    await s.putVisit(v);
    if (replaces) await s.putVisit({ ...replaces, state: 'superseded' });
    await refreshVisits(s);
    if (navigator.onLine) void sync(false);
  }, [refreshVisits, sync]);

  const value = useMemo<FieldCtx>(() => ({
    username, period, today, mine, setMine, data, loading, loadError, reload, visits, unsynced: unsyncedCount(visits),
    visitOf: (taskId: number) => currentVisit(visits, taskId), online, syncing, lastSync, sync, store, saveVisit,
  }), [username, period, today, mine, setMine, data, loading, loadError, reload, visits, online, syncing, lastSync, sync, store, saveVisit]);

  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

/**
 * Persistent storage of the field app: IndexedDB database `voltline-field` (stores `visits`,
 * `photos` (Blob), `cache`), falling back to localStorage (photos as base64) when IndexedDB is
 * unavailable (private mode of some browsers, old WebViews). Survives reloads and app restarts.
 */
import type { FieldVisit, QueueStore } from './queue';

const DB_NAME = 'voltline-field';
const DB_VERSION = 1;
const LS_PREFIX = 'voltline.field.';

export interface FieldStore extends QueueStore {
  readonly engine: 'indexeddb' | 'localstorage';
  putPhoto(id: string, blob: Blob): Promise<void>;
  photoBlob(id: string): Promise<Blob | null>;
  getCache<T>(key: string): Promise<T | null>;
  putCache(key: string, value: unknown): Promise<void>;
}

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function blobToBase64(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const fr = new FileReader();
    fr.onload = () => resolve(String(fr.result).replace(/^data:[^,]*,/, ''));
    fr.onerror = () => reject(fr.error);
    fr.readAsDataURL(blob);
  });
}

function base64ToBlob(b64: string, type: string): Blob {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type });
}

function openIdb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('no IndexedDB'));
    const r = indexedDB.open(DB_NAME, DB_VERSION);
    r.onupgradeneeded = () => {
      const db = r.result;
      if (!db.objectStoreNames.contains('visits')) db.createObjectStore('visits', { keyPath: 'clientId' }).createIndex('user', 'user');
      if (!db.objectStoreNames.contains('photos')) db.createObjectStore('photos');
      if (!db.objectStoreNames.contains('cache')) db.createObjectStore('cache');
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.onblocked = () => reject(new Error('IndexedDB blocked'));
  });
}

function idbStore(db: IDBDatabase): FieldStore {
  const tx = (store: string, mode: IDBTransactionMode) => db.transaction(store, mode).objectStore(store);
  return {
    engine: 'indexeddb',
    async listVisits(user) {
      return req(tx('visits', 'readonly').index('user').getAll(user)) as Promise<FieldVisit[]>;
    },
    async putVisit(v) {
      await req(tx('visits', 'readwrite').put(v));
    },
    async putPhoto(id, blob) {
      await req(tx('photos', 'readwrite').put(blob, id));
    },
    async photoBlob(id) {
      return ((await req(tx('photos', 'readonly').get(id))) as Blob | undefined) ?? null;
    },
    async photoBase64(id) {
      const blob = (await req(tx('photos', 'readonly').get(id))) as Blob | undefined;
      if (!blob) return null;
      return { contentType: blob.type || 'image/jpeg', base64: await blobToBase64(blob) };
    },
    async deletePhoto(id) {
      await req(tx('photos', 'readwrite').delete(id));
    },
    async getCache<T>(key: string) {
      return ((await req(tx('cache', 'readonly').get(key))) as T | undefined) ?? null;
    },
    async putCache(key, value) {
      await req(tx('cache', 'readwrite').put(value, key));
    },
  };
}

function lsGet<T>(key: string): T | null {
  try {
    const s = localStorage.getItem(LS_PREFIX + key);
    return s ? (JSON.parse(s) as T) : null;
  } catch {
    return null;
  }
}
function lsPut(key: string, value: unknown) {
  localStorage.setItem(LS_PREFIX + key, JSON.stringify(value));
}

function localStore(): FieldStore {
  const all = () => lsGet<Record<string, FieldVisit>>('visits') ?? {};
  return {
    engine: 'localstorage',
    async listVisits(user) {
      return Object.values(all()).filter((v) => v.user === user);
    },
    async putVisit(v) {
      const a = all();
      a[v.clientId] = v;
      lsPut('visits', a);
    },
    async putPhoto(id, blob) {
      lsPut(`photo.${id}`, { contentType: blob.type || 'image/jpeg', base64: await blobToBase64(blob) });
    },
    async photoBlob(id) {
      const p = lsGet<{ contentType: string; base64: string }>(`photo.${id}`);
      return p ? base64ToBlob(p.base64, p.contentType) : null;
    },
    async photoBase64(id) {
      return lsGet<{ contentType: string; base64: string }>(`photo.${id}`);
    },
    async deletePhoto(id) {
      localStorage.removeItem(LS_PREFIX + `photo.${id}`);
    },
    async getCache<T>(key: string) {
      return lsGet<T>(`cache.${key}`);
    },
    async putCache(key, value) {
      try {
        lsPut(`cache.${key}`, value);
      } catch {
        /* quota: the cache is only a convenience */
      }
    },
  };
}

let opened: Promise<FieldStore> | null = null;

/** The store (opened once per page). */
export function fieldStore(): Promise<FieldStore> {
  if (!opened) {
    opened = openIdb().then(idbStore).catch(() => localStore());
  }
  return opened;
}

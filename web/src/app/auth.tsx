import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, onUnauthenticated } from '../api/client';
import type { User } from '../api/types';

interface AuthValue {
  user: User | null;
  /** true until the first /auth/me answer arrives */
  loading: boolean;
  login: (username: string, password: string) => Promise<User>;
  logout: () => Promise<void>;
  refresh: () => Promise<void>;
  /** true after an explicit logout (the next login starts at home, not at the last page) */
  loggedOut: boolean;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [loading, setLoading] = useState(true);
  const [loggedOut, setLoggedOut] = useState(false);

  const refresh = useCallback(async () => {
    try {
      const res = await api.get<{ user: User }>('/auth/me');
      setUser(res.user);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status === 401) setUser(null);
      else setUser(null);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  useEffect(() => onUnauthenticated(() => setUser(null)), []);

  const login = useCallback(async (username: string, password: string) => {
    const res = await api.post<{ user: User }>('/auth/login', { username, password });
    // /auth/me is the source of truth for permissions; fall back to the login answer.
    let u = res.user;
    try {
      u = (await api.get<{ user: User }>('/auth/me')).user ?? u;
    } catch {
      /* keep login answer */
    }
    setLoggedOut(false);
    setUser(u);
    return u;
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.post('/auth/logout');
    } catch {
      /* session may already be gone */
    }
    setLoggedOut(true);
    setUser(null);
  }, []);

  const value = useMemo(() => ({ user, loading, login, logout, refresh, loggedOut }), [user, loading, login, logout, refresh, loggedOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const v = useContext(AuthContext);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}

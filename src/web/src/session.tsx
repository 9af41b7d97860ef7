import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { authApi } from './api-client/client.js';
import { ApiError, setCsrfToken, setUnauthenticatedHandler } from './api-client/http.js';
import type { Me } from './api-client/types.js';
import { navigate } from './router.js';

export type SessionState = { status: 'loading' } | { status: 'signed-out' } | { status: 'signed-in'; me: Me };

interface SessionApi {
  session: SessionState;
  /** Resolves to whether the account must change its (one-time) password first. */
  signIn: (username: string, password: string) => Promise<{ mustChangePassword: boolean }>;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionApi | undefined>(undefined);

const here = () => window.location.pathname + window.location.search;

/** Who is signed in. A 401 from any call ends the session here and sends the user to sign in. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<SessionState>({ status: 'loading' });

  const loadMe = useCallback(async () => {
    const me = await authApi.me();
    if (me.csrfToken) setCsrfToken(me.csrfToken);
    setSession({ status: 'signed-in', me });
  }, []);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      setCsrfToken(undefined);
      setSession({ status: 'signed-out' });
      if (!window.location.pathname.startsWith('/login')) {
        navigate(`/login?next=${encodeURIComponent(here())}`, { replace: true });
      }
    });
    loadMe().catch((err: unknown) => {
      if (!(err instanceof ApiError && err.status === 401)) setSession({ status: 'signed-out' });
    });
    return () => setUnauthenticatedHandler(undefined);
  }, [loadMe]);

  const signIn = useCallback(
    async (username: string, password: string) => {
      const signed = await authApi.login(username, password);
      setCsrfToken(signed.csrfToken);
      await loadMe();
      return { mustChangePassword: signed.user.mustChangePassword };
    },
    [loadMe],
  );

  const signOut = useCallback(async () => {
    try {
      await authApi.logout();
    } finally {
      setCsrfToken(undefined);
      setSession({ status: 'signed-out' });
      navigate('/login', { replace: true });
    }
  }, []);

  return <SessionContext.Provider value={{ session, signIn, signOut }}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

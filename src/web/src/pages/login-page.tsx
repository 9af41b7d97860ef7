import { useEffect, useState, type FormEvent } from 'react';
import { Problem } from '../components/problem.js';
import { navigate, queryOf } from '../router.js';
import { useSession } from '../session.js';

/** Only same-site paths are followed after sign-in, never another origin. */
const safeNext = (next: string | null): string =>
  next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/cases';

export function LoginPage({ location }: { location: string }) {
  const { session, signIn } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const next = safeNext(queryOf(location).get('next'));

  const [mustChange, setMustChange] = useState(false);
  useEffect(() => {
    if (session.status !== 'signed-in') return;
    // A one-time password is changed before anything else.
    navigate(mustChange ? '/account?first=1' : next, { replace: true });
  }, [session, next, mustChange]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setMustChange((await signIn(username, password)).mustChangePassword);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="login-card" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to Riposte</h1>
        <Problem error={error} />
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            required
            autoFocus
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

import { useState, type FormEvent } from 'react';
import { authApi } from '../api-client/client.js';
import { Problem } from '../components/problem.js';
import { queryOf } from '../router.js';
import { useSession } from '../session.js';

/** The signed-in person's account: who they are, and changing their password. */
export function AccountPage({ location }: { location: string }) {
  const { session } = useSession();
  const first = queryOf(location).get('first') === '1';
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const me = session.status === 'signed-in' ? session.me : undefined;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setDone(false);
    if (next !== confirm) {
      setError(new Error('the new password and its confirmation differ'));
      return;
    }
    setBusy(true);
    try {
      await authApi.changePassword(current, next);
      setDone(true);
      setCurrent('');
      setNext('');
      setConfirm('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="account-title">
      <h1 id="account-title">Account</h1>
      {me && (
        <p>
          Signed in as <strong>{me.name}</strong> ({me.roles.join(', ')}).
        </p>
      )}
      {first && !done && (
        <p className="notice" role="status">
          You signed in with a one-time password: choose your own now.
        </p>
      )}
      <form className="panel stacked" onSubmit={(e) => void submit(e)} aria-labelledby="password-title">
        <h2 id="password-title">Change password</h2>
        <Problem error={error} />
        {done && (
          <p className="notice" role="status">
            Password changed.
          </p>
        )}
        <label>
          Current password
          <input
            type="password"
            autoComplete="current-password"
            required
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
          />
        </label>
        <label>
          New password
          <input
            type="password"
            autoComplete="new-password"
            required
            value={next}
            onChange={(e) => setNext(e.target.value)}
          />
        </label>
        <label>
          Confirm new password
          <input
            type="password"
            autoComplete="new-password"
            required
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
          />
        </label>
        <button type="submit" className="primary" disabled={busy}>
          Change password
        </button>
      </form>
    </section>
  );
}

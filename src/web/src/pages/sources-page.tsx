import { useState, type FormEvent } from 'react';
import {
  SOURCE_MAPPERS,
  sourcesApi,
  webhookPathOf,
  type IngestSource,
  type SourceWithCredentials,
  type UpdateSource,
} from '../api-client/sources.js';
import { Problem } from '../components/problem.js';
import { formatTime } from '../format.js';
import { useSession } from '../session.js';
import { useAsync } from '../use-async.js';

const HOUR = 60 * 60 * 1000;

/** How long a rotated credential keeps working beside the new one (the API allows at most 7 days). */
const GRACES: ReadonlyArray<{ label: string; ms: number }> = [
  { label: 'none', ms: 0 },
  { label: '1 h', ms: HOUR },
  { label: '24 h', ms: 24 * HOUR },
  { label: '7 days', ms: 7 * 24 * HOUR },
];

/** Only admins hold `settings:admin`, which every /sources call needs. */
export const canManageSources = (roles: readonly string[]): boolean => roles.includes('admin');

/** New credentials, shown this once: the server keeps only what it needs to check them. */
function CredentialsBox({ shown, onDone }: { shown: SourceWithCredentials; onDone: () => void }) {
  const url = `${window.location.origin}${webhookPathOf(shown.source.name)}`;
  return (
    <div className="credentials" role="region" aria-label="New credentials" data-testid="new-credentials">
      <p>
        <strong>Copy these now: they will not be shown again.</strong> Source <code>{shown.source.name}</code>
        .
      </p>
      <dl className="facts">
        <div>
          <dt>Webhook URL</dt>
          <dd>
            <code className="break">{url}</code>
          </dd>
        </div>
        {shown.token && (
          <div>
            <dt>Token (X-Riposte-Token)</dt>
            <dd>
              <code className="break" data-testid="new-token">
                {shown.token}
              </code>
            </dd>
          </div>
        )}
        {shown.hmacSecret && (
          <div>
            <dt>HMAC secret</dt>
            <dd>
              <code className="break" data-testid="new-hmac-secret">
                {shown.hmacSecret}
              </code>
            </dd>
          </div>
        )}
      </dl>
      <button type="button" onClick={onDone}>
        I have copied them
      </button>
    </div>
  );
}

function CreateForm({ onCreated }: { onCreated: (created: SourceWithCredentials) => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [mapper, setMapper] = useState<string>('auto');
  const [token, setToken] = useState(true);
  const [hmac, setHmac] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const created = await sourcesApi.create({ name: name.trim(), description, mapper, token, hmac });
      setName('');
      setDescription('');
      onCreated(created);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="stacked" onSubmit={(e) => void submit(e)} aria-label="New source">
      <label>
        Name <input value={name} onChange={(e) => setName(e.target.value)} required />
      </label>
      <label>
        Description <input value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      <label>
        Mapper{' '}
        <select value={mapper} onChange={(e) => setMapper(e.target.value)}>
          {SOURCE_MAPPERS.map((m) => (
            <option key={m} value={m}>
              {m === 'generic' ? 'generic (needs a mapper config, set through the API)' : m}
            </option>
          ))}
        </select>
      </label>
      <label>
        <input type="checkbox" checked={token} onChange={(e) => setToken(e.target.checked)} /> Token
      </label>
      <label>
        <input type="checkbox" checked={hmac} onChange={(e) => setHmac(e.target.checked)} /> HMAC secret
        (signed webhooks)
      </label>
      <Problem error={error} />
      <button type="submit" className="primary" disabled={busy}>
        Create source
      </button>
    </form>
  );
}

function Credentials({ source }: { source: IngestSource }) {
  const parts: Array<{ label: string; set: boolean; previous: number | null }> = [
    { label: 'token', set: source.hasToken, previous: source.previousTokenExpiresAt },
    { label: 'HMAC', set: source.hasHmacSecret, previous: source.previousHmacSecretExpiresAt },
  ];
  const now = Date.now();
  return (
    <>
      {parts
        .filter((p) => p.set || (p.previous !== null && p.previous > now))
        .map((p) => (
          <div key={p.label}>
            {p.set ? p.label : <span className="muted">no {p.label}</span>}
            {p.previous !== null && p.previous > now && (
              <div className="small muted">previous valid until {formatTime(p.previous)}</div>
            )}
          </div>
        ))}
      {!source.hasToken && !source.hasHmacSecret && <span className="muted">none</span>}
    </>
  );
}

/** One source, its switches and its credential rotation. */
function SourceRow({
  source,
  showActivity,
  onChanged,
}: {
  source: IngestSource;
  showActivity: boolean;
  onChanged: (changed?: SourceWithCredentials) => void;
}) {
  const [grace, setGrace] = useState(0);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = async (work: () => Promise<SourceWithCredentials | undefined>) => {
    setBusy(true);
    setError(undefined);
    try {
      onChanged(await work());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const patch = (input: UpdateSource) => run(() => sourcesApi.update(source.name, input));
  const rotate = (what: 'rotateToken' | 'rotateHmacSecret') =>
    patch(grace > 0 ? { [what]: true, previousValidForMs: grace } : { [what]: true });
  const remove = () =>
    run(async () => {
      await sourcesApi.remove(source.name);
      return undefined;
    });
  return (
    <tr data-testid={`source-${source.name}`}>
      <td>
        <strong>{source.name}</strong>
        {source.description && <div className="small muted">{source.description}</div>}
      </td>
      <td>
        <code>{source.mapper}</code>
      </td>
      <td data-testid="source-enabled">
        {source.enabled ? <span className="ok">enabled</span> : <span className="failed">disabled</span>}
      </td>
      <td className="small" data-testid="source-credentials">
        <Credentials source={source} />
      </td>
      {showActivity && (
        <td className="nowrap small">{source.lastAlertAt ? formatTime(source.lastAlertAt) : '—'}</td>
      )}
      <td className="nowrap">{formatTime(source.createdAt)}</td>
      <td>
        <div className="source-actions">
          <button type="button" disabled={busy} onClick={() => void patch({ enabled: !source.enabled })}>
            {source.enabled ? 'Disable' : 'Enable'}
          </button>
          <label className="small">
            Keep the old one valid for{' '}
            <select value={grace} onChange={(e) => setGrace(Number(e.target.value))}>
              {GRACES.map((g) => (
                <option key={g.ms} value={g.ms}>
                  {g.label}
                </option>
              ))}
            </select>
          </label>
          <button type="button" disabled={busy} onClick={() => void rotate('rotateToken')}>
            Rotate token
          </button>
          <button type="button" disabled={busy} onClick={() => void rotate('rotateHmacSecret')}>
            Rotate HMAC secret
          </button>
          {confirming ? (
            <>
              <button type="button" className="danger" disabled={busy} onClick={() => void remove()}>
                Delete {source.name}
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </>
          ) : (
            <button type="button" disabled={busy} onClick={() => setConfirming(true)}>
              Delete
            </button>
          )}
        </div>
        <Problem error={error} />
      </td>
    </tr>
  );
}

/** Ingest sources: who may send alerts, through which mapper, with which credentials (admins only). */
export function SourcesPage() {
  const { session } = useSession();
  const roles = session.status === 'signed-in' ? session.me.roles : [];
  if (!canManageSources(roles)) {
    return (
      <section aria-labelledby="sources-title">
        <h1 id="sources-title">Ingest sources</h1>
        <p className="problem" role="alert">
          You are not allowed to manage ingest sources: it takes the admin role.
        </p>
      </section>
    );
  }
  return <SourcesAdmin />;
}

function SourcesAdmin() {
  const sources = useAsync(() => sourcesApi.list(), []);
  const [shown, setShown] = useState<SourceWithCredentials>();
  const changed = (result?: SourceWithCredentials) => {
    if (result && (result.token || result.hmacSecret)) setShown(result);
    sources.reload();
  };
  const showActivity = sources.data?.some((s) => s.lastAlertAt !== undefined);
  const columns = showActivity ? 7 : 6;
  return (
    <section aria-labelledby="sources-title">
      <h1 id="sources-title">Ingest sources</h1>
      {shown && <CredentialsBox shown={shown} onDone={() => setShown(undefined)} />}
      <Problem error={sources.error} />
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">Source</th>
            <th scope="col">Mapper</th>
            <th scope="col">State</th>
            <th scope="col">Credentials</th>
            {showActivity && <th scope="col">Last alert</th>}
            <th scope="col">Created</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {sources.data?.map((s) => (
            <SourceRow key={s.name} source={s} showActivity={showActivity ?? false} onChanged={changed} />
          ))}
          {sources.data && sources.data.length === 0 && (
            <tr>
              <td colSpan={columns} className="empty">
                No ingest source yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <h2 className="section-title">New source</h2>
      <CreateForm onCreated={changed} />
    </section>
  );
}

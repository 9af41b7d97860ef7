import { useState } from 'react';
import { playbooksApi } from '../api-client/automation.js';
import { Problem } from '../components/problem.js';
import { formatTime } from '../format.js';
import { Link } from '../router.js';
import { useAsync } from '../use-async.js';

/** Playbooks and which version of each is active. */
export function PlaybooksPage() {
  const { data, error } = useAsync(() => playbooksApi.list(), []);
  return (
    <section aria-labelledby="playbooks-title">
      <h1 id="playbooks-title">Playbooks</h1>
      <Problem error={error} />
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Active version</th>
            <th scope="col">Latest version</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {data?.items.map((p) => (
            <tr key={p.id}>
              <td>
                <Link to={`/playbooks/${encodeURIComponent(p.id)}`}>{p.name}</Link>
              </td>
              <td>
                {p.activeVersion === null ? <span className="muted">none</span> : `v${p.activeVersion}`}
              </td>
              <td>v{p.latestVersion}</td>
              <td>{formatTime(p.updatedAt)}</td>
            </tr>
          ))}
          {data && data.items.length === 0 && (
            <tr>
              <td colSpan={4} className="empty">
                No playbooks yet.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

/** One playbook: its immutable versions, the source of one, and making a version the active one. */
export function PlaybookDetailPage({ id }: { id: string }) {
  const playbook = useAsync(() => playbooksApi.get(id), [id]);
  const [shown, setShown] = useState<number>();
  const [actionError, setActionError] = useState<unknown>();
  const version = shown ?? playbook.data?.activeVersion ?? playbook.data?.latestVersion;
  const source = useAsync(
    () => (version === undefined ? Promise.resolve(undefined) : playbooksApi.version(id, version)),
    [id, version],
  );
  const activate = async (v: number) => {
    setActionError(undefined);
    try {
      await playbooksApi.activate(id, v);
      playbook.reload();
    } catch (err) {
      setActionError(err);
    }
  };
  const p = playbook.data;
  return (
    <section aria-labelledby="playbook-title">
      <p className="crumbs">
        <Link to="/playbooks">← Playbooks</Link>
      </p>
      <Problem error={playbook.error} />
      {p && (
        <>
          <h1 id="playbook-title">{p.name}</h1>
          <Problem error={actionError} />
          <div className="case-columns">
            <section className="panel" aria-labelledby="source-title">
              <h2 id="source-title">Version {version} source</h2>
              <Problem error={source.error} />
              <pre>
                <code>{source.data?.source ?? ''}</code>
              </pre>
            </section>
            <section className="panel" aria-labelledby="versions-title">
              <h2 id="versions-title">Versions</h2>
              <table className="grid compact">
                <tbody>
                  {[...p.versions].reverse().map((v) => (
                    <tr key={v.version}>
                      <th scope="row">
                        <button
                          type="button"
                          onClick={() => setShown(v.version)}
                          aria-pressed={v.version === version}
                        >
                          v{v.version}
                        </button>
                      </th>
                      <td>
                        {v.createdBy} · {formatTime(v.createdAt)}
                      </td>
                      <td>
                        {v.version === p.activeVersion ? (
                          <span className="badge status-closed">active</span>
                        ) : (
                          <button type="button" onClick={() => void activate(v.version)}>
                            Activate
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          </div>
        </>
      )}
    </section>
  );
}

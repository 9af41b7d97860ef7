import { useState } from 'react';
import { connectorsApi } from '../api-client/connectors.js';
import type { ConnectionTest, ConnectorInstance } from '../api-client/connector-types.js';
import { Problem } from '../components/problem.js';
import { formatTime } from '../format.js';
import { useAsync } from '../use-async.js';

/** One configured instance and its connection check. */
function InstanceRow({ instance }: { instance: ConnectorInstance }) {
  const [result, setResult] = useState<ConnectionTest>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const test = async () => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await connectorsApi.test(instance.name));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr>
      <td>
        <strong>{instance.name}</strong>
        {instance.isDefault && <span className="tag">default</span>}
      </td>
      <td>{instance.connector}</td>
      <td className="small">
        {Object.keys(instance.config).join(', ') || '—'}
        {Object.keys(instance.secrets).length > 0 && (
          <div className="muted">credentials set: {Object.keys(instance.secrets).join(', ')}</div>
        )}
      </td>
      <td className="nowrap">{formatTime(instance.updatedAt)}</td>
      <td>
        <button type="button" disabled={busy} onClick={() => void test()}>
          Test
        </button>
        {result && (
          <div role="status" className={result.ok ? 'ok' : 'failed'}>
            {result.ok ? 'OK' : 'Failed'}: {result.message}
          </div>
        )}
        <Problem error={error} />
      </td>
    </tr>
  );
}

/** Configured connector instances (credentials never shown) and the connectors this server ships. */
export function ConnectorsPage() {
  const instances = useAsync(() => connectorsApi.instances(), []);
  const types = useAsync(() => connectorsApi.types(), []);
  return (
    <section aria-labelledby="connectors-title">
      <h1 id="connectors-title">Connectors</h1>
      <Problem error={instances.error} />
      <table className="grid">
        <thead>
          <tr>
            <th scope="col">Instance</th>
            <th scope="col">Connector</th>
            <th scope="col">Settings</th>
            <th scope="col">Updated</th>
            <th scope="col">Check</th>
          </tr>
        </thead>
        <tbody>
          {instances.data?.map((i) => (
            <InstanceRow key={i.name} instance={i} />
          ))}
          {instances.data && instances.data.length === 0 && (
            <tr>
              <td colSpan={5} className="empty">
                No connector is configured.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <h2 className="section-title">Available connectors</h2>
      <Problem error={types.error} />
      <table className="grid compact">
        <thead>
          <tr>
            <th scope="col">Connector</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {types.data?.map((t) => (
            <tr key={t.name}>
              <td>
                <strong>{t.title}</strong> <code className="muted">{t.name}</code>
                <div className="small muted">{t.description}</div>
              </td>
              <td>
                {t.actions.map((a) => (
                  <span key={a.name} className={`action risk-${a.risk}`} title={a.description}>
                    {a.name}
                  </span>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

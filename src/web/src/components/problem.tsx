import { ApiError } from '../api-client/http.js';

/** Shows a failed call as the server explained it: message, code and the fields at fault. */
export function Problem({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const api = error instanceof ApiError ? error : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="problem" role="alert">
      <strong>{message}</strong>
      {api && api.code !== 'NETWORK' && <code className="problem-code">{api.code}</code>}
      {api && api.details.length > 0 && (
        <ul>
          {api.details.map((d, i) => (
            <li key={i}>
              {d.path && <code>{d.path}</code>} {d.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

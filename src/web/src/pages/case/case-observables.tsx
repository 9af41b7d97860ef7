import { useState } from 'react';
import { casesApi } from '../../api-client/client.js';
import { VERDICTS, type CaseObservable } from '../../api-client/types.js';
import { Problem } from '../../components/problem.js';
import { Link } from '../../router.js';

interface Props {
  caseId: string;
  observables: CaseObservable[];
  onChanged: () => void;
}

/** Indicators in the case, their verdicts, and where else they were seen (a link to those alerts). */
export function CaseObservables({ caseId, observables, onChanged }: Props) {
  const [error, setError] = useState<unknown>();
  const setVerdict = async (o: CaseObservable, verdict: string) => {
    setError(undefined);
    try {
      await casesApi.setVerdict(caseId, { type: o.type, value: o.value, verdict });
      onChanged();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="panel" aria-labelledby="observables-title">
      <h2 id="observables-title">Observables</h2>
      <Problem error={error} />
      {observables.length === 0 ? (
        <p className="muted">No observables.</p>
      ) : (
        <table className="grid compact">
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Value</th>
              <th scope="col">Verdict</th>
              <th scope="col">Sightings</th>
            </tr>
          </thead>
          <tbody>
            {observables.map((o) => (
              <tr key={o.id}>
                <td>{o.type}</td>
                <td className="break">
                  <code>{o.value}</code>
                </td>
                <td>
                  <label>
                    <span className="visually-hidden">Verdict for {o.value}</span>
                    <select
                      className={o.verdict ? `verdict-${o.verdict}` : undefined}
                      value={o.verdict ?? ''}
                      onChange={(e) => void setVerdict(o, e.target.value)}
                    >
                      {!o.verdict && <option value="">none</option>}
                      {VERDICTS.map((v) => (
                        <option key={v} value={v}>
                          {v}
                        </option>
                      ))}
                    </select>
                  </label>
                </td>
                <td className="nowrap">
                  {o.alerts} alert{o.alerts === 1 ? '' : 's'}
                  {o.otherCases > 0 && (
                    <>
                      {' · '}
                      <Link to={`/cases?observable=${encodeURIComponent(o.value)}`}>
                        {o.otherCases} other case{o.otherCases === 1 ? '' : 's'}
                      </Link>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

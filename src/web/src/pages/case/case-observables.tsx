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

/**
 * Indicators in the case, their verdicts, and how many alerts carry them: this case's, all cases', and the
 * other cases that hold them (a link to those cases).
 */
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
              <th scope="col" title="Distinct alerts that carry it">
                Sightings
              </th>
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
                <td data-testid="sightings">
                  <span className="nowrap">
                    {o.caseAlerts} alert{o.caseAlerts === 1 ? '' : 's'} here
                  </span>
                  {o.alerts > o.caseAlerts && (
                    <span className="muted nowrap"> ({o.alerts} in all cases)</span>
                  )}
                  {o.otherCases > 0 && (
                    <>
                      {' · '}
                      <Link className="nowrap" to={`/cases?observable=${encodeURIComponent(o.value)}`}>
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

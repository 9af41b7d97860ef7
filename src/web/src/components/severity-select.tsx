import { SEVERITIES } from '../api-client/types.js';

type SelectProps = { name: string; value: string; onChange: (e: { target: { value: string } }) => void };

/** A severity filter: any, the usual "high and critical" shortcut, or one level. */
export const SeveritySelect = (props: SelectProps) => (
  <select {...props}>
    <option value="">Any</option>
    <option value="high,critical">High and critical</option>
    {SEVERITIES.map((s) => (
      <option key={s} value={s}>
        {s}
      </option>
    ))}
  </select>
);

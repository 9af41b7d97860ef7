import { SEVERITIES } from '../api-client/types.js';

type SelectProps = { name: string; value: string; onChange: (e: { target: { value: string } }) => void };

const PRESETS = ['', 'high,critical', ...SEVERITIES];

/** The label of a value no option has (a shared link's `low,medium`, or a mistyped one the API refuses). */
const otherLabel = (value: string): string =>
  value.split(',').every((s) => (SEVERITIES as readonly string[]).includes(s))
    ? value.split(',').join(', ')
    : `“${value}” (not a severity)`;

/**
 * A severity filter: any, the usual "high and critical" shortcut, or one level. A value from the URL that is
 * none of these is shown as it is: showing "Any" beside a list filtered by it (or refused for it) misled.
 */
export const SeveritySelect = (props: SelectProps) => (
  <select {...props}>
    <option value="">Any</option>
    <option value="high,critical">High and critical</option>
    {SEVERITIES.map((s) => (
      <option key={s} value={s}>
        {s}
      </option>
    ))}
    {!PRESETS.includes(props.value) && <option value={props.value}>{otherLabel(props.value)}</option>}
  </select>
);

import { useEffect, useState } from 'react';
import { casesApi } from '../../api-client/client.js';
import type { Task, TaskState } from '../../api-client/types.js';
import { Problem } from '../../components/problem.js';
import { formatTime } from '../../format.js';

/** The case's checklist: ticking a task marks it done, unticking reopens it. */
export function CaseTasks({
  caseId,
  tasks,
  onChanged,
}: {
  caseId: string;
  tasks: Task[];
  onChanged: () => void;
}) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState<string>();
  // The box shows the click at once; the reloaded list (or a failure) settles it.
  const [pending, setPending] = useState<Record<string, TaskState>>({});
  useEffect(() => setPending({}), [tasks]);
  const stateOf = (task: Task): TaskState => pending[task.id] ?? task.state;
  const toggle = async (task: Task) => {
    const next: TaskState = stateOf(task) === 'done' ? 'open' : 'done';
    setBusy(task.id);
    setError(undefined);
    setPending((p) => ({ ...p, [task.id]: next }));
    try {
      await casesApi.setTaskState(caseId, task.id, next);
      onChanged();
    } catch (err) {
      setPending((p) => {
        const { [task.id]: _dropped, ...rest } = p;
        return rest;
      });
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <section className="panel" aria-labelledby="tasks-title">
      <h2 id="tasks-title">Tasks</h2>
      <Problem error={error} />
      {tasks.length === 0 ? (
        <p className="muted">No tasks.</p>
      ) : (
        <ul className="tasks">
          {tasks.map((t) => (
            <li key={t.id} className={t.state === 'cancelled' ? 'cancelled' : undefined}>
              <label>
                <input
                  type="checkbox"
                  checked={stateOf(t) === 'done'}
                  disabled={busy === t.id || t.state === 'cancelled'}
                  onChange={() => void toggle(t)}
                />
                <span>{t.title}</span>
              </label>
              <span className="muted small">
                {t.assignee ?? ''}
                {t.dueAt ? ` due ${formatTime(t.dueAt)}` : ''}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

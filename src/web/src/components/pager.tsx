interface PagerProps {
  /** Cursor of the page shown; undefined on the first page. */
  cursor: string | undefined;
  next: string | null | undefined;
  onPage: (cursor: string | undefined) => void;
  count: number;
}

/** Cursor paging: forward with the server's cursor, back to the newest. */
export function Pager({ cursor, next, onPage, count }: PagerProps) {
  return (
    <nav className="pager" aria-label="Pages">
      <span className="muted">
        {count} shown{cursor ? ' (older page)' : ''}
      </span>
      <button type="button" disabled={!cursor} onClick={() => onPage(undefined)}>
        ← Newest
      </button>
      <button type="button" disabled={!next} onClick={() => onPage(next ?? undefined)}>
        Older →
      </button>
    </nav>
  );
}

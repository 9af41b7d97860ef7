import type { ReactNode } from 'react';

// A safe Markdown subset rendered as React elements (never as HTML): paragraphs, headings, lists, fenced and
// inline code, **bold**, *italic* and http(s)/mailto links. Anything else stays literal text.

const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*)|(\*[^*\s][^*]*\*)|(\[[^\]]+\]\([^)\s]+\))/g;

const SAFE_URL = /^(https?:\/\/|mailto:)/i;

function renderInline(text: string, keyBase: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let i = 0;
  for (const m of text.matchAll(INLINE)) {
    const token = m[0];
    const at = m.index ?? 0;
    if (at > last) out.push(text.slice(last, at));
    const key = `${keyBase}-${i++}`;
    if (token.startsWith('`')) out.push(<code key={key}>{token.slice(1, -1)}</code>);
    else if (token.startsWith('**')) out.push(<strong key={key}>{token.slice(2, -2)}</strong>);
    else if (token.startsWith('*')) out.push(<em key={key}>{token.slice(1, -1)}</em>);
    else {
      const close = token.indexOf('](');
      const label = token.slice(1, close);
      const href = token.slice(close + 2, -1);
      out.push(
        SAFE_URL.test(href) ? (
          <a key={key} href={href} target="_blank" rel="noopener noreferrer nofollow">
            {label}
          </a>
        ) : (
          token
        ),
      );
    }
    last = at + token.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** Renders user-written Markdown without ever handing its text to the HTML parser. */
export function Markdown({ text }: { text: string }) {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const blocks: ReactNode[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const key = `b${i}`;
    if (line.startsWith('```')) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.startsWith('```')) body.push(lines[i++]!);
      i++;
      blocks.push(
        <pre key={key}>
          <code>{body.join('\n')}</code>
        </pre>,
      );
    } else if (/^#{1,3} /.test(line)) {
      blocks.push(
        <p key={key} className="md-heading">
          <strong>{renderInline(line.replace(/^#+ /, ''), key)}</strong>
        </p>,
      );
      i++;
    } else if (/^\s*([-*]|\d+\.) /.test(line)) {
      const ordered = /^\s*\d+\. /.test(line);
      const items: ReactNode[] = [];
      while (i < lines.length && /^\s*([-*]|\d+\.) /.test(lines[i]!)) {
        items.push(<li key={i}>{renderInline(lines[i]!.replace(/^\s*([-*]|\d+\.) /, ''), `l${i}`)}</li>);
        i++;
      }
      blocks.push(ordered ? <ol key={key}>{items}</ol> : <ul key={key}>{items}</ul>);
    } else if (line.trim() === '') {
      i++;
    } else {
      const para: string[] = [];
      while (
        i < lines.length &&
        lines[i]!.trim() !== '' &&
        !/^(```|#{1,3} |\s*([-*]|\d+\.) )/.test(lines[i]!)
      ) {
        para.push(lines[i++]!);
      }
      const parts: ReactNode[] = [];
      para.forEach((p, n) => {
        if (n > 0) parts.push(<br key={`br${n}`} />);
        parts.push(...renderInline(p, `${key}-${n}`));
      });
      blocks.push(<p key={key}>{parts}</p>);
    }
  }
  return <div className="markdown">{blocks}</div>;
}

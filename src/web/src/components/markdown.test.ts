import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Markdown } from './markdown.js';

const render = (text: string) => renderToStaticMarkup(createElement(Markdown, { text }));

describe('Markdown (safe subset)', () => {
  it('renders emphasis, code, lists, fenced blocks and headings', () => {
    const html = render(
      '# Title\n**bold** and *it* with `x<y`\n\n- one\n- two\n\n1. first\n\n```\n<b>raw</b>\n```',
    );
    expect(html).toContain('<strong>Title</strong>');
    expect(html).toContain('<strong>bold</strong> and <em>it</em> with <code>x&lt;y</code>');
    expect(html).toContain('<ul><li>one</li><li>two</li></ul>');
    expect(html).toContain('<ol><li>first</li></ol>');
    expect(html).toContain('<pre><code>&lt;b&gt;raw&lt;/b&gt;</code></pre>');
  });

  it('never turns user text into markup', () => {
    const html = render('<img src=x onerror="alert(1)"><script>alert(2)</script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
  });

  it('links only http(s) and mailto targets, opened without an opener', () => {
    const html = render('[site](https://example.org/a) [bad](javascript:alert(1))');
    expect(html).toContain(
      '<a href="https://example.org/a" target="_blank" rel="noopener noreferrer nofollow">site</a>',
    );
    expect(html).not.toContain('href="javascript');
    expect(html).toContain('[bad](javascript:alert(1))');
  });
});

import { describe, expect, it } from 'vitest';
import { parseSseFrames } from './case-events.js';

describe('parseSseFrames', () => {
  it('returns the data of complete frames and keeps a partial one for the next chunk', () => {
    const { data, rest } = parseSseFrames(
      'retry: 2000\n\nid: 1\nevent: comment_added\ndata: {"id":"1"}\n\n: keep-alive\n\nid: 2\ndata: {"id"',
    );
    expect(data).toEqual(['{"id":"1"}']);
    expect(rest).toBe('id: 2\ndata: {"id"');
    expect(parseSseFrames(`${rest}:"2"}\n\n`).data).toEqual(['{"id":"2"}']);
  });

  it('joins multi-line data and accepts CRLF line ends', () => {
    expect(parseSseFrames('data: a\r\ndata: b\r\n\r\n').data).toEqual(['a\nb']);
  });
});

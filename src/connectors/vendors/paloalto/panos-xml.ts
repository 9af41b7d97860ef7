import { ConnectorError } from '../../action-executor.js';
import { ConnectorErrorCode } from '../../framework/connector-errors.js';

/**
 * The few shapes of PAN-OS XML API answers this connector reads, without an XML library:
 * `<response status="success|error" code="…">` with `<msg>`/`<line>` text, and registered-IP entries.
 */

const decodeEntities = (s: string): string =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** Throws a connector error for `status="error"` (PAN-OS often answers errors with HTTP 200). */
export function assertSuccess(xml: string, what: string): void {
  // PAN-OS writes some answers as `status = 'error'`: spaces and either quote.
  const status = /<response[^>]*\bstatus\s*=\s*["'](\w+)["']/.exec(xml)?.[1];
  if (status === 'success') return;
  const code = /<response[^>]*\bcode\s*=\s*["'](\d+)["']/.exec(xml)?.[1];
  const said = [...xml.matchAll(/<(?:msg|line)>([^<]*)<\/(?:msg|line)>/g)].map((m) =>
    decodeEntities(m[1] ?? '').trim(),
  );
  const message = `PAN-OS refused ${what}${code ? ` (code ${code})` : ''}: ${said.filter(Boolean).join('; ') || 'no message'}`;
  // Code 403 is an invalid key; 22 "session timed out"; others are requests PAN-OS will not do.
  if (code === '403' || code === '22') {
    throw new ConnectorError(ConnectorErrorCode.authFailed, message, { retryable: false });
  }
  throw new ConnectorError(status ? ConnectorErrorCode.rejected : ConnectorErrorCode.badResponse, message, {
    retryable: false,
  });
}

/** Tags registered on `ip`, from `<show><object><registered-ip>` output. */
export function registeredTags(xml: string, ip: string): string[] {
  for (const entry of xml.matchAll(/<entry\b([^>]*)>([\s\S]*?)<\/entry>/g)) {
    const attrIp = /\bip\s*=\s*["']([^"']*)["']/.exec(entry[1] ?? '')?.[1];
    if (attrIp !== ip) continue;
    return [...(entry[2] ?? '').matchAll(/<member\b[^>]*>([^<]*)<\/member>/g)].map((m) =>
      decodeEntities(m[1] ?? ''),
    );
  }
  return [];
}

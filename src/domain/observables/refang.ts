const MAY_BE_DEFANGED = /hxxp|meow|[[({]/i;

/**
 * Undoes the usual defanging of indicators in reports and tickets (`hxxp://evil[.]com`, `1.2.3(dot)4`,
 * `user[@]example.com`), so the value matches what the network and the threat feeds see.
 */
export function refang(text: string): string {
  // Most values hold nothing defanged: one scan for what every pattern below needs instead of seven.
  if (!MAY_BE_DEFANGED.test(text)) return text;
  return text
    .replace(/\bhxxp(s?)(\[:\]|:)\/\//gi, (_m, s: string) => `http${s.toLowerCase()}://`)
    .replace(/\bhxxp(s?)\b/gi, (_m, s: string) => `http${s.toLowerCase()}`)
    .replace(/\bmeow(s?):\/\//gi, (_m, s: string) => `http${s.toLowerCase()}://`)
    .replace(/\[:\/\/\]/g, '://')
    .replace(/\[:\]/g, ':')
    .replace(/\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}/gi, '.')
    .replace(/\[@\]|\(@\)|\[at\]|\(at\)/gi, '@');
}

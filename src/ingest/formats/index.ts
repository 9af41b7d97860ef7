export * from './format-error.js';
export * from './syslog.js';
export * from './syslog-framing.js';
export * from './cef.js';
export * from './leef.js';

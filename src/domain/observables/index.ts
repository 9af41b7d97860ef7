export * from './observable.js';
export * from './ip-address.js';
export * from './refang.js';
export * from './normalize-observable.js';
export * from './extract-observables.js';
export * from './stored-observable-values.js';

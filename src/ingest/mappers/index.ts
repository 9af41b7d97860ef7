export * from './mapper.js';
export * from './mapper-registry.js';
export * from './generic.mapper.js';
export * from './text.mapper.js';

export * from './schema.js';
export * from './rule-set.js';
export * from './prices.js';
export * from './validate.js';

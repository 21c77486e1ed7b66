export * from './catalog.js';
export * from './compare.js';
export * from './quote.js';
export * from './seed.js';

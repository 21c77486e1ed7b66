export * from './types.js';
export * from './rate-bill.js';
export * from './compile.js';
export * from './engine.js';
export * from './calendar.js';

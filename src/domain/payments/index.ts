export * from './amount.js';
export * from './dates.js';
export * from './late-fee.js';
export * from './allocate.js';
export * from './signature.js';
export * from './ledger.js';

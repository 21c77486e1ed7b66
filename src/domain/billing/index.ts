export * from './determinants.js';
export * from './review.js';
export * from './bill-account.js';

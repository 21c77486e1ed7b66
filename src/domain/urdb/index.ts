export * from './import.js';
export * from './bill.js';

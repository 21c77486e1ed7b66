export * from './vee.js';

/** DL/T 645-2007 codec, analyzer and simulated meter (pure; no I/O). See docs/dlt645.md. */
export * from './errors.js';
export * from './formats.js';
export * from './di-table.js';
export * from './frame.js';
export * from './message.js';
export * from './stream.js';
export * from './analyze.js';
export * from './simulator.js';

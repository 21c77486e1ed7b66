/** Head-end (采集前置) core: DL/T 645-2007 polling over TCP. See docs/dlt645.md. */
export * from './poller.js';
export { PipelinedConnection, RequestFailure, type ConnectionStats } from './connection.js';
export * from './schedule.js';

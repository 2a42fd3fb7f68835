export { servePrimary } from './primary.js';
export { serveWorker } from './worker.js';
export { workerCount, workerSpoolDir } from './worker-config.js';

export { createSpool, DEFAULT_CLOSE_BUDGET_MS, type SpoolOptions } from './create-spool.js';
export { SpoolFullError, type Spool, type SpoolStats } from './spool.js';
export { SpoolClosedError, SpoolNotStartedError, SpoolRecordError, SpoolWriteError, SpoolRecoveryError } from './errors.js';
export { SpoolConfig } from './config.js';

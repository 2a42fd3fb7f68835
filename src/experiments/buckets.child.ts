// Assigns in a separate process, for buckets.test.ts: argv = experiment JSON, unit ids JSON; prints variants.
import { assign } from './assign.js';
import type { Experiment } from './config.js';

const exp = JSON.parse(process.argv[2] ?? '{}') as Experiment;
const ids = JSON.parse(process.argv[3] ?? '[]') as string[];
process.stdout.write(JSON.stringify(ids.map((u) => assign(exp, u))));

// Assigns in a separate process, for src/experiments/buckets.test.ts: argv = experiment JSON, unit ids JSON; prints variants.
import { assign } from '../src/experiments/assign.js';
import type { Experiment } from '../src/experiments/config.js';

const exp = JSON.parse(process.argv[2] ?? '{}') as Experiment;
const ids = JSON.parse(process.argv[3] ?? '[]') as string[];
process.stdout.write(JSON.stringify(ids.map((u) => assign(exp, u))));

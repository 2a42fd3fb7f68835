// Types for the TypeScript micro-benchmarks (bench/micro) that reuse the load benchmark's bodies.
export function eventBody(): string;
export function pageViewBatch(): string;

/**
 * Extensions of the harness: import a module here and, when it is imported, let it call
 * `registerConfig` (configs.ts: a new named config for every runner, table and chart),
 * `registerNodeRunner` (node-runners.ts: another Node runner) or `registerDocsSection` (docs.ts: a
 * section of docs/BENCHMARKS.md, e.g. streaming latency from its own results file). cli.ts imports
 * this file before parsing flags.
 */
import './bound-docs.js';
import './stream-docs.js';

export {};

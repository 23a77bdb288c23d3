/** Wrong calls to `ActionRetrier`: its options, `run` and friends, and the id methods. */
import { components, internal } from "../app/_generated/api.js";
import * as fns from "../app/fns.js";
import { ActionRetrier, type ActionRetrierOptions } from "../../src/client/index.js";
import type { H, Row } from "./harness.js";

const make = (options: unknown) => () => new ActionRetrier(components.jobs, options as ActionRetrierOptions);
/** The retrier the rows call (its own pool, "bad-retrier"). */
export const retrier = new ActionRetrier(components.jobs, { poolName: "bad-retrier", maxFailures: 1, initialBackoffMs: 10 });
const flaky = internal.fns.flaky;

export const retrierRows: Row[] = [
  { name: "retrier component undefined", call: () => new ActionRetrier(undefined as never), throws: /new ActionRetrier: `component` is undefined.*components\.jobs/ },
  { name: "maxFailures 5000", call: make({ maxFailures: 5000 }), throws: /`maxFailures` must be an integer from 0 to 999, got 5000/, notMatch: /maxAttempts/ },
  { name: "maxFailures -1", call: make({ maxFailures: -1 }), throws: /`maxFailures`.*got -1/ },
  { name: "maxFailures 2.5", call: make({ maxFailures: 2.5 }), throws: /`maxFailures`.*got 2\.5/ },
  { name: 'maxFailures "3"', call: make({ maxFailures: "3" }), throws: /`maxFailures`.*got "3"/ },
  { name: 'poolName ""', call: make({ poolName: "" }), throws: /`poolName` must be a non-empty string.*got ""/, notMatch: /options\.name/ },
  { name: "poolName a number", call: make({ poolName: 5 }), throws: /`poolName`.*got 5/ },
  { name: "retrier maxParallelism 0", call: make({ maxParallelism: 0 }), throws: /new ActionRetrier: `maxParallelism` must be an integer from 1 to 1000, got 0/ },
  { name: "retrier initialBackoffMs -5", call: make({ initialBackoffMs: -5 }), throws: /new ActionRetrier: `initialBackoffMs`.*got -5/ },
  { name: "retrier base 0", call: make({ base: 0 }), throws: /new ActionRetrier: `base`/ },
  { name: "retrier jitter", call: make({ jitter: "lots" }), throws: /new ActionRetrier: `jitter`/ },
  { name: "retrier maxBackoffMs below initial", call: make({ initialBackoffMs: 10, maxBackoffMs: 1 }), throws: /`maxBackoffMs` must be a finite number >= initialBackoffMs \(10\)/ },
  { name: "retrier retryIf pattern a string", call: make({ retryIf: { messageMatches: "timeout" } }), throws: /`messageMatches` must be an array.*\["timeout"\]/ },
  { name: "retrier unknown maxRetries", call: make({ maxRetries: 3 }), throws: /new ActionRetrier: unknown option `maxRetries`.*`maxFailures`/ },
  { name: "retrier typo poolname", call: make({ poolname: "x" }), throws: /unknown option `poolname`; did you mean `poolName`\?/ },
  { name: "retrier logLevel", call: make({ logLevel: "LOUD" }), throws: /`logLevel` must be one of/ },
  { name: "retrier retentionMs", call: make({ retentionMs: -1 }), throws: /`retentionMs`.*got -1/ },
  { name: "retrier options a string", call: make("fast"), throws: /new ActionRetrier: expected an options object/ },
  { name: "run fn undefined", call: (h: H) => h.run((ctx) => retrier.run(ctx, undefined as never, {} as never)), throws: /ActionRetrier "bad-retrier"\.run: `fn` is undefined: pass a function reference/ },
  { name: "run fn registered", call: (h: H) => h.run((ctx) => retrier.run(ctx, fns.flaky as never, {} as never)), throws: /`fn` is a registered function/ },
  { name: "run with a retry option", call: (h: H) => h.run((ctx) => retrier.run(ctx, flaky, { key: "r", failures: 0 }, { retry: false } as never)), throws: /ActionRetrier\.run options: unknown option `retry`/ },
  { name: "run typo runafter", call: (h: H) => h.run((ctx) => retrier.run(ctx, flaky, { key: "r", failures: 0 }, { runafter: 5 } as never)), throws: /did you mean `runAfter`\?/ },
  { name: "runAt in seconds", call: (h: H) => h.run((ctx) => retrier.runAt(ctx, 1_700_000_000, flaky, { key: "r", failures: 0 })), throws: /looks like seconds, pass milliseconds/ },
  { name: "runAfter negative", call: (h: H) => h.run((ctx) => retrier.runAfter(ctx, -1, flaky, { key: "r", failures: 0 })), throws: /`runAfter` must be a number of ms >= 0/ },
  { name: "run args a number", call: (h: H) => h.run((ctx) => retrier.runWithRetries(ctx, flaky, 7 as never)), throws: /`args` must be an object/ },
  { name: "run with no ctx", call: () => retrier.run(undefined as never, flaky, { key: "r", failures: 0 }), throws: /`ctx` must be the ctx/ },
  { name: "run from a query", call: (h: H) => h.t.query(internal.bad.runFromQuery, {}), throws: /`ctx` cannot run mutations/ },
  { name: "retrier status of a non-id", call: (h: H) => h.run((ctx) => retrier.status(ctx, "zzz" as never)), throws: /ActionRetrier "bad-retrier"\.status: `runId` "zzz" is not a run id/ },
  { name: "retrier cancel of a non-id", call: (h: H) => h.run((ctx) => retrier.cancel(ctx, "zzz" as never)), throws: /\.cancel: `runId` "zzz" is not a run id/ },
  { name: "retrier cleanup of a number", call: (h: H) => h.run((ctx) => retrier.cleanup(ctx, 5 as never)), throws: /\.cleanup: `runId` must be a run id.*got 5/ },
];

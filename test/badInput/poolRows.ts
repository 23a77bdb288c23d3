/** Wrong calls to `Workpool`: its constructor, every enqueue method and option, every id method. */
import { components, internal } from "../app/_generated/api.js";
import * as fns from "../app/fns.js";
import { Workpool, type WorkpoolOptions } from "../../src/client/index.js";
import type { H, Row } from "./harness.js";

const ok = { name: "p", maxParallelism: 2 };
const make = (options: unknown) => () => new Workpool(components.jobs, options as WorkpoolOptions);
const withRetryIf = (retryIf: unknown) => make({ ...ok, retryIf });
const withRetry = (retry: unknown) => make({ ...ok, retry });
const big = (kb: number) => "x".repeat(kb * 1024);

/** `new Workpool(...)` with wrong components and options: all throw at construction. */
export const constructorRows: Row[] = [
  { name: "component undefined", call: () => new Workpool(undefined as never, ok), throws: /`component` is undefined.*components\.jobs/ },
  { name: "component null", call: () => new Workpool(null as never, ok), throws: /`component` is null/ },
  { name: "options not an object", call: () => new Workpool(components.jobs, "emails" as never), throws: /options.*object/i },
  { name: "options a string", call: make("emails"), throws: /expected an options object, got "emails"/ },
  { name: "name empty", call: make({ ...ok, name: "" }), throws: /`options\.name` must be a non-empty string/ },
  { name: "name a number", call: make({ ...ok, name: 5 }), throws: /`options\.name`.*got 5/ },
  { name: "maxParallelism 0", call: make({ ...ok, maxParallelism: 0 }), throws: /`maxParallelism`.*integer from 1 to 1000, got 0/ },
  { name: "maxParallelism 1.5", call: make({ ...ok, maxParallelism: 1.5 }), throws: /`maxParallelism`.*got 1\.5/ },
  { name: "maxParallelism 1001", call: make({ ...ok, maxParallelism: 1001 }), throws: /`maxParallelism`.*got 1001/ },
  { name: "maxParallelism a string", call: make({ ...ok, maxParallelism: "5" }), throws: /`maxParallelism`.*got "5"/ },
  { name: "maxParallelism Infinity", call: make({ ...ok, maxParallelism: Infinity }), throws: /`maxParallelism`.*got Infinity/ },
  { name: "retentionMs negative", call: make({ ...ok, retentionMs: -1 }), throws: /`retentionMs`.*>= 0, got -1/ },
  { name: "retentionMs a string", call: make({ ...ok, retentionMs: "1d" }), throws: /`retentionMs`.*got "1d"/ },
  { name: "logLevel VERBOSE", call: make({ ...ok, logLevel: "VERBOSE" }), throws: /`logLevel` must be one of "DEBUG", "INFO", "WARN", "ERROR", got "VERBOSE"/ },
  { name: "logLevel lower case", call: make({ ...ok, logLevel: "warn" }), throws: /`logLevel`.*did you mean "WARN"/ },
  { name: 'retryActionsByDefault "false"', call: make({ ...ok, retryActionsByDefault: "false" }), throws: /`retryActionsByDefault` must be true or false, got "false"/ },
  { name: "retryActionsByDefault 1", call: make({ ...ok, retryActionsByDefault: 1 }), throws: /`retryActionsByDefault`.*got 1/ },
  { name: "typo maxParalelism", call: make({ name: "p", maxParalelism: 2 }), throws: /unknown option `maxParalelism`; did you mean `maxParallelism`\?/ },
  { name: "typo retries", call: make({ ...ok, retries: {} }), throws: /unknown option `retries`; did you mean `retry`\?/ },
  { name: "typo retention", call: make({ ...ok, retention: 5 }), throws: /unknown option `retention`; did you mean `retentionMs`\?/ },
  { name: "retry a number", call: withRetry(5), throws: /`retry` must be a retry policy object.*got 5/ },
  { name: "retry typo maxAttempt", call: withRetry({ maxAttempt: 3 }), throws: /unknown option `maxAttempt`; did you mean `maxAttempts`\?/ },
  { name: "retry maxAttempts 0", call: withRetry({ maxAttempts: 0 }), throws: /retry: `maxAttempts` must be an integer from 1 to 1000, got 0/ },
  { name: "retry initialBackoffMs -1", call: withRetry({ initialBackoffMs: -1 }), throws: /`initialBackoffMs`.*got -1/ },
  { name: "retry base 0.5", call: withRetry({ base: 0.5 }), throws: /`base` must be a finite number >= 1/ },
  { name: "retry jitter", call: withRetry({ jitter: "some" }), throws: /`jitter` must be "full", "proportional" or "none", got some/ },
  { name: "retry maxBackoffMs < initial", call: withRetry({ initialBackoffMs: 100, maxBackoffMs: 10 }), throws: /`maxBackoffMs`.*>= initialBackoffMs/ },
  { name: "retryIf.messageMatches a string", call: withRetryIf({ messageMatches: "timeout" }), throws: /`messageMatches` must be an array.*wrap it: \["timeout"\]/, notMatch: /entries is not a function/ },
  { name: "retryIf typo messageMatch", call: withRetryIf({ messageMatch: ["x"] }), throws: /unknown option `messageMatch`; did you mean `messageMatches`\?/ },
  { name: "retryIf bad regex", call: withRetryIf({ messageMatches: ["("] }), throws: /`messageMatches\[0\]` is not a valid regular expression/ },
  { name: "retryIf regex a number", call: withRetryIf({ messageMatches: [5] }), throws: /`messageMatches\[0\]` must be a regex source string, got 5/ },
  { name: "retryIf.dataMatches an object", call: withRetryIf({ dataMatches: { status: 429 } }), throws: /`dataMatches` must be an array, e\.g\. \[\{ status: 429 \}\]/ },
  { name: "retryIf.dataMatches empty condition", call: withRetryIf({ dataMatches: [{}] }), throws: /`dataMatches\[0\]` must be a non-empty object/ },
  { name: "retryIf range bound a string", call: withRetryIf({ dataMatches: [{ status: { gte: "500" } }] }), throws: /`dataMatches\[0\]\.status`: `gte` must be a finite number, got "500"/ },
  { name: "retryIf unknown range key", call: withRetryIf({ dataMatches: [{ status: { between: [1, 2] } }] }), throws: /dataMatches\[0\]\.status`: unknown option `between`/ },
  { name: "retryIf `in` not an array", call: withRetryIf({ dataMatches: [{ status: { in: 429 } }] }), throws: /`in` must be an array/ },
  { name: "retryIf condition an array", call: withRetryIf({ dataMatches: [{ status: [429] }] }), throws: /`dataMatches\[0\]\.status` must be an exact value.*\{ in: \[429, 503\] \}/ },
  { name: "retryIf.neverIf.messageMatches a string", call: withRetryIf({ neverIf: { messageMatches: "invalid" } }), throws: /`neverIf\.messageMatches` must be an array/ },
  { name: "retryIf.neverIf typo", call: withRetryIf({ neverIf: { messagesMatch: [] } }), throws: /neverIf: unknown option `messagesMatch`; did you mean `messageMatches`\?/ },
  { name: "retryIf a string", call: withRetryIf("timeout"), throws: /retryIf must be an object.*got "timeout"/ },
  { name: "keyConcurrency 0", call: make({ ...ok, keyConcurrency: 0 }), throws: /`keyConcurrency` must be an integer from 1 to 1000.*got 0/ },
  { name: "keyConcurrency a string", call: make({ ...ok, keyConcurrency: "2" }), throws: /`keyConcurrency`.*got "2"/ },
  { name: "rateLimit a number", call: make({ ...ok, rateLimit: 10 }), throws: /`rateLimit` must be \{ rate, periodMs, capacity\? \}, e\.g\. \{ rate: 10, periodMs: 1000 \}/ },
  { name: "rateLimit rate negative", call: make({ ...ok, rateLimit: { rate: -1, periodMs: 1000 } }), throws: /`rateLimit\.rate` must be a number > 0.*got -1/ },
  { name: "rateLimit periodMs missing", call: make({ ...ok, rateLimit: { rate: 5 } }), throws: /`rateLimit\.periodMs` must be an integer number of ms >= 1.*got undefined/ },
  { name: "rateLimit capacity 0", call: make({ ...ok, rateLimit: { rate: 5, periodMs: 1000, capacity: 0 } }), throws: /`rateLimit\.capacity` must be a number >= 1/ },
  { name: "keyRateLimit typo", call: make({ ...ok, keyRateLimit: { rate: 5, period: 1000 } }), throws: /`keyRateLimit` has unknown field\(s\) period/ },
  { name: "typo keyConcurency", call: make({ ...ok, keyConcurency: 2 }), throws: /unknown option `keyConcurency`; did you mean `keyConcurrency`\?/ },
];

const enqueue = (h: H, f: (ctx: any) => Promise<unknown>) => h.run((ctx) => f(ctx));
const write = internal.fns.write;

/** Wrong enqueues: each throws before anything is inserted. */
export const enqueueRows: Row[] = [
  { name: "fn undefined", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, undefined as never, {} as never)), throws: /enqueueMutation: `fn` is undefined: pass a function reference like internal\.module\.fn/, notMatch: /Symbol\(functionName\)/ },
  { name: "fn the registered function", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, fns.write as never, { key: "x" } as never)), throws: /`fn` is a registered function.*pass a function reference like internal\.module\.fn, not the function itself/, notMatch: /handler|insert\(|=>/ },
  { name: "fn a bare string", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, "write" as never, {} as never)), throws: /`fn` is the string "write", not a function reference/ },
  { name: "fn an object", call: (h) => enqueue(h, (ctx) => h.pool.enqueueAction(ctx, {} as never, {} as never)), throws: /`fn` is an object, not a function reference/ },
  { name: "query fn undefined", call: (h) => enqueue(h, (ctx) => h.pool.enqueueQuery(ctx, undefined as never, {} as never)), throws: /enqueueQuery: `fn` is undefined/ },
  { name: "batch fn registered", call: (h) => enqueue(h, (ctx) => h.pool.enqueueActionBatch(ctx, fns.work as never, [])), throws: /enqueueActionBatch: `fn` is a registered function/ },
  { name: "ctx undefined", call: (h) => h.pool.enqueueMutation(undefined as never, write, { key: "x" }), throws: /`ctx` must be the ctx of a Convex query, mutation or action, got undefined/ },
  { name: "ctx from a query", call: (h) => h.t.query(internal.bad.enqueueFromQuery, {}), throws: /`ctx` cannot run mutations \(is it a query's ctx\?\).*call this from a mutation or an action/, notMatch: /runMutation is not a function/ },
  { name: "args a number", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, 5 as never)), throws: /`args` must be an object of the function's arguments, got 5/ },
  { name: "args an array", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, [1] as never)), throws: /`args` must be an object.*got an array/ },
  { name: "args a string", call: (h) => enqueue(h, (ctx) => h.pool.enqueueAction(ctx, internal.fns.work, "k" as never)), throws: /`args` must be an object.*got "k"/ },
  { name: "args not a Convex value", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: new Date() } as never)), throws: /`args` is not a Convex value/ },
  { name: "args too large", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: big(1100) })), throws: /`args` is 1,126,4\d\d bytes.*must fit in 1,032,192 bytes.*1,048,576 bytes/ },
  { name: "context too large", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { onComplete: internal.fns.done, context: big(1100) })), throws: /`context` is 1,126,4\d\d bytes/ },
  { name: "args and context together too large", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: big(600) }, { onComplete: internal.fns.done, context: big(600) })), throws: /`args` and `context` together are 1,228,8\d\d bytes/ },
  { name: "options a number", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, 5 as never)), throws: /options: expected an options object, got 5/ },
  { name: "typo runafter", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { runafter: 5000 } as never)), throws: /unknown option `runafter`; did you mean `runAfter`\?/ },
  { name: "typo oncomplete", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { onCompleted: internal.fns.done } as never)), throws: /unknown option `onCompleted`; did you mean `onComplete`\?/ },
  { name: "runAt -1", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { runAt: -1 })), throws: /`runAt` must be a finite, non-negative timestamp in ms.*got -1/ },
  { name: "runAt NaN", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { runAt: NaN })), throws: /`runAt`.*got NaN/ },
  { name: "runAt in seconds", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { runAt: Math.floor(Date.now() / 1000) })), throws: /`runAt` \d+ is before 2001-01-01.*looks like seconds, pass milliseconds/ },
  { name: "runAt a string", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { runAt: "tomorrow" as never })), throws: /`runAt`.*got "tomorrow"/ },
  { name: "runAt and runAfter", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { runAt: Date.now(), runAfter: 1 })), throws: /pass either `runAt` or `runAfter`, not both/ },
  { name: "runAfter negative", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { runAfter: -5 })), throws: /`runAfter` must be a number of ms >= 0, got -5/ },
  { name: "runAfter Infinity", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { runAfter: Infinity })), throws: /`runAfter`.*got Infinity/ },
  { name: 'retry "yes"', call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { retry: "yes" as never })), throws: /`retry` must be true, false or a policy object, got "yes"/ },
  { name: "retry maxAttempts 1001", call: (h) => enqueue(h, (ctx) => h.pool.enqueueAction(ctx, internal.fns.work, { key: "k", ms: 1 }, { retry: { maxAttempts: 1001 } })), throws: /`maxAttempts` must be an integer from 1 to 1000, got 1001/ },
  { name: "retry typo", call: (h) => enqueue(h, (ctx) => h.pool.enqueueAction(ctx, internal.fns.work, { key: "k", ms: 1 }, { retry: { maxAtempts: 3 } as never })), throws: /unknown option `maxAtempts`; did you mean `maxAttempts`\?/ },
  { name: "enqueue retryIf a string pattern", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { retry: true, retryIf: { messageMatches: "timeout" as never } })), throws: /enqueueMutation retryIf: `messageMatches` must be an array/ },
  { name: "onComplete a bare string", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { onComplete: "done" as never })), throws: /`onComplete` is the string "done", not a function reference/ },
  { name: "onComplete the registered function", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { onComplete: fns.done as never })), throws: /`onComplete` is a registered function.*not the function itself/ },
  { name: "context without onComplete", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { context: { a: 1 } })), throws: /`context` is only passed to onComplete.*add one or drop `context`/ },
  { name: "batch args not an array", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutationBatch(ctx, write, "k" as never)), throws: /enqueueMutationBatch: `argsArray` must be an array of args objects/ },
  { name: "batch element a number", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutationBatch(ctx, write, [{ key: "a" }, 3 as never])), throws: /`argsArray\[1\]` must be an object.*got 3/ },
  { name: "priority unknown level", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { priority: "urgent" as never })), throws: /`priority` must be one of "highest", "high", "normal", "low", "lowest" or \{ boostMs \}.*got "urgent"/ },
  { name: "priority a number", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { priority: 5 as never })), throws: /`priority` must be one of.*got 5/ },
  { name: "priority boost too large", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { priority: { boostMs: 600_001 } })), throws: /boostMs from -600000 to 600000.*got \{"boostMs":600001\}/ },
  { name: "key empty", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { key: "" })), throws: /`key` must be a non-empty string of at most 1024 characters.*got ""/ },
  { name: "key a number", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { key: 42 as never })), throws: /`key` must be a non-empty string.*got 42/ },
  { name: "key too long", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { key: "x".repeat(1025) })), throws: /`key` must be a non-empty string of at most 1024 characters/ },
  { name: "typo priorty", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { key: "k" }, { priorty: "high" } as never)), throws: /unknown option `priorty`; did you mean `priority`\?/ },
  { name: "batch of 1001", call: (h) => enqueue(h, (ctx) => h.pool.enqueueQueryBatch(ctx, internal.fns.read, Array.from({ length: 1001 }, () => ({ kind: "x" })))), throws: /got 1001 jobs in one call; the limit is 1000/ },
];

/** Wrong calls whose job runs and must end failed, naming the cause. */
export const failedJobRows: Row[] = [
  { name: "args not matching the function's validator", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, write, { wrong: 1 } as never)) as never, fails: /key|wrong/ },
  { name: "a mutation result too large to store", call: (h) => enqueue(h, (ctx) => h.pool.enqueueMutation(ctx, internal.bad.bigResult, { key: "b" })) as never, fails: /result is 1,228,8\d\d bytes.*limit/ },
  { name: "an action result too large to store", call: (h) => enqueue(h, (ctx) => h.pool.enqueueAction(ctx, internal.fns.work, { key: "big", ms: 10, big: true })) as never, fails: /result is 1,126,4\d\d bytes.*limit/ },
  { name: "an error too large to store", call: (h) => enqueue(h, (ctx) => h.pool.enqueueAction(ctx, internal.bad.hugeError, {}, { retry: { maxAttempts: 2, initialBackoffMs: 10 } })) as never, fails: /^boom \(error data of 1,126,4\d\d bytes .* dropped: too large to store with the job\)$/ },
  { name: "enqueueAction with a mutation", call: (h) => enqueue(h, (ctx) => h.pool.enqueueAction(ctx, write as never, { key: "k" } as never)) as never, fails: /./ },
];

/** Wrong ids and contexts for the id methods. */
export const idRows: Row[] = [
  { name: "status of a non-id", call: (h) => h.run((ctx) => h.pool.status(ctx, "not-an-id" as never)), throws: /status: `jobId` "not-an-id" is not a job id/ },
  { name: "cancel of a non-id", call: (h) => h.run((ctx) => h.pool.cancel(ctx, "garbage" as never)), throws: /cancel: `jobId` "garbage" is not a job id/ },
  { name: "cleanup of an empty string", call: (h) => h.run((ctx) => h.pool.cleanup(ctx, "" as never)), throws: /cleanup: `jobId` must be a job id.*got ""/ },
  { name: "status of a number", call: (h) => h.run((ctx) => h.pool.status(ctx, 42 as never)), throws: /status: `jobId` must be a job id.*got 42/ },
  { name: "status of another table's id", call: (h) => h.run(async (ctx) => h.pool.status(ctx, (await ctx.db.insert("events", { kind: "x", key: "y" })) as never)), throws: /`jobId` ".*" is not a job id/ },
  { name: "statusBatch of a string", call: (h) => h.run((ctx) => h.pool.statusBatch(ctx, "abc" as never)), throws: /statusBatch: `jobIds` must be an array of ids/ },
  { name: "statusBatch with a bad element", call: (h) => h.run((ctx) => h.pool.statusBatch(ctx, ["zzz" as never])), throws: /`jobIds\[0\]` "zzz" is not a job id/ },
  { name: "status with no ctx", call: (h) => h.pool.status(undefined as never, "x" as never), throws: /status: `ctx` must be the ctx/ },
  { name: "stats with no ctx", call: (h) => h.pool.stats(null as never), throws: /stats: `ctx` must be the ctx.*got null/ },
  { name: "cancelAll with no ctx", call: (h) => h.pool.cancelAll(undefined as never), throws: /cancelAll: `ctx` must be the ctx/ },
  { name: "pauseKey of an empty key", call: (h) => h.run((ctx) => h.pool.pauseKey(ctx, "")), throws: /pauseKey: `key` must be a non-empty string/ },
  { name: "resumeKey of a number", call: (h) => h.run((ctx) => h.pool.resumeKey(ctx, 7 as never)), throws: /resumeKey: `key` must be a non-empty string.*got 7/ },
  { name: "keyStats of undefined", call: (h) => h.run((ctx) => h.pool.keyStats(ctx, undefined as never)), throws: /keyStats: `key` must be a non-empty string.*got undefined/ },
  { name: "pause from a query", call: (h) => h.pool.pause({ runQuery: () => null } as never), throws: /pause: `ctx` cannot run mutations/ },
  { name: "inspect with no ctx", call: (h) => h.pool.inspect(undefined as never), throws: /inspect: `ctx` must be the ctx/ },
];

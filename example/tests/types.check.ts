/**
 * Compile-time checks of the client's types (run by `npm run typecheck`, never executed).
 * Each `@ts-expect-error` must stay an error: if the types loosen, tsc reports the directive unused.
 */
import type { FunctionArgs } from "convex/server";
import { v, type Infer } from "convex/values";
import { ActionRetrier, Workpool, vJobId, vRunId, type JobId, type JobResult, type RunId } from "convex-jobs";
import { api, components, internal } from "../convex/_generated/api";
import type { Doc } from "../convex/_generated/dataModel";
import { internalMutation } from "../convex/_generated/server";
import { onCompleteArgs } from "convex-jobs";

const pool = new Workpool(components.jobs, { name: "types", maxParallelism: 2 });
const retrier = new ActionRetrier(components.jobs);

export const typeChecks = internalMutation({
  args: {},
  handler: async (ctx) => {
    // Args are checked against the function.
    const id: JobId = await pool.enqueueMutation(ctx, internal.counters.doIncrement, { name: "a", by: 1 });
    // @ts-expect-error `by` must be a number
    await pool.enqueueMutation(ctx, internal.counters.doIncrement, { name: "a", by: "1" });
    // @ts-expect-error missing required arg `input`
    await pool.enqueueAction(ctx, internal.fanout.processItem, {});
    // @ts-expect-error an action is not a mutation
    await pool.enqueueMutation(ctx, internal.fanout.processItem, { input: 1 });
    // @ts-expect-error a mutation is not an action
    await retrier.run(ctx, internal.counters.doIncrement, { name: "a", by: 1 });

    // onComplete's context is checked against the callback's validator.
    await pool.enqueueAction(ctx, internal.fanout.processItem, { input: 2 }, {
      onComplete: internal.fanout.itemDone,
      context: { itemId: "x" as any },
    });
    await pool.enqueueAction(ctx, internal.fanout.processItem, { input: 2 }, {
      onComplete: internal.fanout.itemDone,
      // @ts-expect-error context must be { itemId: Id<"items"> }
      context: { item: 1 },
    });

    // Batch args are an array of the function's args.
    await pool.enqueueMutationBatch(ctx, internal.counters.doIncrement, [{ name: "a", by: 1 }]);
    // @ts-expect-error each element is checked
    await pool.enqueueMutationBatch(ctx, internal.counters.doIncrement, [{ name: 1, by: 1 }]);

    // Status is typed; job ids are branded.
    const s = await pool.status(ctx, id);
    if (s?.state === "finished" && s.result.kind === "success") s.result.returnValue satisfies unknown;
    // @ts-expect-error a plain string is not a JobId
    await pool.status(ctx, "some-string");
    return null;
  },
});

// onCompleteArgs types the callback's args in one line.
export const typedCallback = internalMutation({
  args: onCompleteArgs(v.object({ n: v.number() }), v.string()),
  handler: async (_ctx, { context, result }) => {
    const n: number = context.n;
    const r: JobResult<string> = result;
    if (result.kind === "success") {
      const s: string = result.returnValue;
      // @ts-expect-error returnValue is a string
      const bad: number = result.returnValue;
      void [s, bad];
    }
    void [n, r];
  },
});

// vJobId and vRunId infer the branded ids, in function args and in documents.
export const inferredIds = (args: FunctionArgs<typeof api.fanout.cancelItem>, item: Doc<"items">, weather: Doc<"weather">) => {
  const a: JobId = args.jobId;
  const b: JobId | undefined = item.jobId;
  const c: RunId | undefined = weather.runId;
  const d: JobId = null as unknown as Infer<typeof vJobId>;
  const e: RunId = null as unknown as Infer<typeof vRunId>;
  // @ts-expect-error a plain string is not a JobId argument
  const f: FunctionArgs<typeof api.fanout.cancelItem> = { jobId: "some-string" };
  // @ts-expect-error v.string() infers a plain string, which is not a JobId
  const g: JobId = null as unknown as Infer<ReturnType<typeof v.string>>;
  return [a, b, c, d, e, f, g];
};

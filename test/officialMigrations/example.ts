/** The official README's "Running migrations synchronously" action, import paths changed. */
import { components, internal } from "./_generated/api";
import { internalAction } from "./_generated/server";
import { runToCompletion } from "../../src/client/index.js"; // "convex-jobs"

export const myAction = internalAction({
  args: {},
  handler: async (ctx) => {
    //...
    const toRun = internal.migrations.setDefaultValue;
    await runToCompletion(ctx, components.migrations, toRun);
  },
});

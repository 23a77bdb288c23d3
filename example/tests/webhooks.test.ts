import { expect, test } from "vitest";
import { api } from "../convex/_generated/api";
import { setup } from "./setup";
import { withClock } from "convex-jobs/test";

test("webhook pool: 5xx and 429 are retried, 4xx is not", () =>
  withClock(async (clock) => {
    const t = setup();
    const urls = ["https://a/200", "https://b/503,503,200", "https://c/429,200", "https://d/400,200"];
    await t.mutation(api.webhooks.deliverAll, { urls });
    await clock.drain();
    expect(await t.query(api.webhooks.webhookStats, {})).toMatchObject({ succeeded: 3, failed: 1, pending: 0, running: 0 });
  }));

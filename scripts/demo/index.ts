/**
 * `npm run demo`: runs the example app (example/convex) in-process on convex-test, with no
 * account and no network, under a simulated clock. Each capability is a section: a function
 * that takes the shared context and shows one feature end to end. To add one, write a
 * `Section` in its own file (see pools.ts) and append it to SECTIONS below.
 */
import "../lib/alias.js"; // first: lets the example's `import ... from "convex-jobs"` load src/
import { createApp, type App } from "../lib/app.js";
import { installSimClock, type Clock } from "../lib/clock.js";
import { flowControl } from "./flow.js";
import { migrations } from "./migrations.js";
import { workPools } from "./pools.js";
import { retries } from "./retries.js";

/** What every section gets: the app (example app + component) and the simulated clock. */
export interface DemoContext {
  t: App;
  clock: Clock;
}

/** One part of the demo. */
export interface Section {
  title: string;
  run(ctx: DemoContext): Promise<void>;
}

/** The demo, in order. Add sections here. */
const SECTIONS: Section[] = [workPools, retries, flowControl, migrations];

async function main() {
  const wallStart = performance.now();
  console.log("convex-jobs demo: the example app on convex-test (in-memory Convex), simulated clock\n");
  for (const [i, section] of SECTIONS.entries()) {
    console.log(`${i + 1}. ${section.title}\n`);
    // Each section gets a fresh app and clock, so sections don't see each other's data.
    const clock = await installSimClock();
    try {
      const t = await createApp({ appDir: "example/convex" });
      await section.run({ t, clock });
    } finally {
      clock.uninstall();
    }
    console.log("");
  }
  console.log(`done in ${((performance.now() - wallStart) / 1000).toFixed(1)} s (real time)`);
}

await main();

import { defineComponent } from "convex/server";

/** The convex-jobs component. Mount it with `app.use(jobs)` (optionally `{ name }`). */
const component = defineComponent("jobs");

export default component;

// The official components' convex.config.ts (workpool README "Install the component", action-retrier
// README "Installation", migrations README), on convex-jobs. Changed: the import paths, and one
// mount option: the official retrier's component is named "actionRetrier" by default (the
// migrations one "migrations"), convex-jobs' "jobs", so `app.use(actionRetrier)` becomes
// `app.use(actionRetrier, { name: "actionRetrier" })` to keep `components.actionRetrier`.
import { defineApp } from "convex/server";
import workpool from "convex-jobs/convex.config.js"; // was "@convex-dev/workpool/convex.config.js"
import actionRetrier from "convex-jobs/convex.config.js"; // was "@convex-dev/action-retrier/convex.config.js"
import migrations from "convex-jobs/convex.config.js"; // was "@convex-dev/migrations/convex.config.js"

const app = defineApp();
app.use(workpool, { name: "emailWorkpool" });
app.use(workpool, { name: "scrapeWorkpool" });
app.use(workpool, { name: "counterWorkpool" });
app.use(actionRetrier, { name: "actionRetrier" }); // convex-jobs: `name` added (see above)
app.use(migrations, { name: "migrations" }); // convex-jobs: `name` added (see above)
export default app;

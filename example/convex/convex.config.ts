import { defineApp } from "convex/server";
import jobs from "convex-jobs/convex.config";

const app = defineApp();
app.use(jobs);

export default app;

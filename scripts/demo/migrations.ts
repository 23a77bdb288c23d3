/** Demo section 3: a batched migration with a live progress bar, then an idempotent re-run. */
import type { MigrationStatus } from "../../src/shared/migrations.js";
import type { App } from "../lib/app.js";
import { runUntil } from "../lib/clock.js";
import { getTally, observe } from "../lib/metrics.js";
import { ProgressBlock, bar } from "../lib/progress.js";
import { api, secs } from "./common.js";
import type { Section } from "./index.js";

const USERS = 3_000;
const MIGRATION = "migrations:setDefaultRole";
/** Non-TTY output prints the bar each time progress crosses one of this many steps. */
const PROGRESS_STEPS = 5;

type RoleCounts = { total: number; none: number; member: number; admin: number };

export const migrations: Section = {
  title: `Migrations: setDefaultRole over ${USERS.toLocaleString("en-US")} users, batch by batch`,
  async run({ t, clock }) {
    const seeded: number = await t.mutation(api.migrations.seedUsers, { count: USERS });
    const before = await countRoles(t);
    if (seeded !== USERS || before.total !== USERS) throw new Error(`seedUsers made ${before.total} users, asked for ${USERS}.`);
    console.log(
      `  seeded ${fmt(before.total)} users: ${fmt(before.none)} without a role, ${fmt(before.admin)} already migrated (admin)\n`,
    );

    // Batch transactions that ran: top-level calls of the define() export (the runner also calls
    // it nested, to read its estimateTotal; those are not batches and are not counted here).
    const batchRunCount = () => getTally().transactions[`app:${MIGRATION}`]?.calls ?? 0;
    const batchRunsAtStart = batchRunCount();

    const start = clock.now();
    const started: MigrationStatus[] = await t.mutation(api.migrations.run, { fn: MIGRATION });
    if (started[0]?.state !== "running") throw new Error(`run did not start ${MIGRATION}: ${JSON.stringify(started[0])}`);

    const progress = new ProgressBlock({ everySimMs: Infinity, blankLine: false });
    let status = started[0];
    let shownStep = -1;
    const elapsed = await runUntil(clock, {
      onStep: async () => {
        status = await migrationStatus(t);
        // Non-TTY: a line each time progress passes a step; a TTY redraws on every batch anyway.
        const step = Math.floor((status.progress ?? 0) * PROGRESS_STEPS);
        progress.update([migrationLine(status, clock.now() - start)], clock.now() - start, step !== shownStep);
        shownStep = step;
      },
      done: async () => status.state !== "running",
      maxSimMs: 600_000,
    });
    const batchRuns = batchRunCount() - batchRunsAtStart;

    const after = await countRoles(t);
    const problems = [
      status.state !== "done" && `state is "${status.state}"${status.lastError ? ` (${status.lastError.message})` : ""}`,
      status.processed !== before.total && `processed ${status.processed}, the table has ${before.total}`,
      status.batches !== batchRuns && `status says ${status.batches} batches, ${batchRuns} batch transactions ran`,
      status.batches < Math.ceil(before.total / status.batchSize) && `${status.batches} batches of ${status.batchSize} cannot cover ${before.total}`,
      after.none !== 0 && `${after.none} users still have no role`,
      after.member !== before.member + before.none && `${after.member} members, expected ${before.member + before.none}`,
      after.admin !== before.admin && `admins went from ${before.admin} to ${after.admin}`,
    ].filter(Boolean);
    if (problems.length) throw new Error(`migration ${MIGRATION}: ${problems.join("; ")}.`);

    // Running a done migration again is a no-op: no batch runs, the status does not move.
    // Let anything it might have scheduled (a step, the watchdog) fire before looking again.
    const runsBefore = batchRunCount();
    const again: MigrationStatus[] = await t.mutation(api.migrations.run, { fn: MIGRATION });
    await clock.drainUntil(clock.now() + 60_000);
    const rerun = await migrationStatus(t);
    const rerunBatches = batchRunCount() - runsBefore;
    if (again[0]?.state !== "done" || rerun.state !== "done" || rerun.processed !== status.processed || rerun.batches !== status.batches || rerunBatches !== 0) {
      throw new Error(`re-running ${MIGRATION} was not a no-op: ${JSON.stringify(rerun)}, ${rerunBatches} batches ran.`);
    }

    console.log(`
  documents          ${fmt(status.processed)} processed in ${status.batches} batches of ${status.batchSize} (${fmt(before.none)} got role "member", ${fmt(after.admin)} admins untouched)
  simulated time     ${duration(elapsed)} (scheduling only: convex-test runs a transaction in no simulated time)
  run it again       state ${rerun.state}, processed ${fmt(rerun.processed)}, batches ${rerun.batches}: a no-op (${rerunBatches} batches ran)`);
  },
};

const fmt = (n: number) => n.toLocaleString("en-US");

async function migrationStatus(t: App): Promise<MigrationStatus> {
  const [s]: MigrationStatus[] = await observe(() => t.query(api.migrations.status, { fns: [MIGRATION] }));
  if (!s) throw new Error(`no status for ${MIGRATION}.`);
  return s;
}

/** Reads the users table directly (convex-test's `t.run`), to check the migration's effect. */
async function countRoles(t: App): Promise<RoleCounts> {
  return observe(() =>
    t.run(async (ctx) => {
      const users = await ctx.db.query("users").collect();
      const count = (role: string | undefined) => users.filter((u) => u.role === role).length;
      return { total: users.length, none: count(undefined), member: count("member"), admin: count("admin") };
    }),
  );
}

function migrationLine(s: MigrationStatus, simMs: number): string {
  const total = s.total ?? s.processed;
  const pct = s.progress === undefined ? "  ?%" : `${String(Math.floor(s.progress * 100)).padStart(3)}%`;
  const eta = s.state === "running" && s.etaMs !== undefined ? `eta ${duration(s.etaMs)}` : s.state;
  return (
    `  [${bar(s.processed, total)}] ${fmt(s.processed).padStart(6)}/${fmt(total)} ${pct}  batches ${String(s.batches).padStart(3)}` +
    `  ${eta.padEnd(11)}  t=${duration(simMs)}`
  );
}

/** Milliseconds under a second, seconds above. */
function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : secs(ms);
}


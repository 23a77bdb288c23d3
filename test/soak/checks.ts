/**
 * The simulation's invariants, checked against the component's tables and the app's callback
 * records after every step:
 *  - a job's final state, once reached, never changes (exactly one final state);
 *  - onComplete committed at most once per job, and exactly once by the time it is final;
 *  - the cap: never more jobs running (in the tables, or as live functions) than allowed;
 *  - no ready job left pending while its pool has a free slot (given a bounded time);
 *  - `stats` equal a recount of the jobs (given a bounded time to fold in what just happened).
 */
import type { TestConvex } from "convex-test";
import { sim } from "../app/sim.js";
import { capDuring, expectedOutcomes, type Counts, type JobRecord, type PoolModel } from "./model.js";
import type { Clock } from "../../src/test.js";

type T = TestConvex<any>;
type JobDoc = {
  _id: string;
  _creationTime: number;
  pool: string;
  state: string;
  attempt: number;
  readyAt: number;
  startedAt?: number;
  cancelRequested?: boolean;
  callbackError?: string;
  result?: { kind: string };
};

type RunIn = (path: string, fn: (ctx: any) => Promise<unknown>) => Promise<any>;
type PoolDoc = { _id: string; name: string; maxParallelism: number };

/** How long the pool gets to start a ready job into a free slot, or to bring `stats` up to date. */
export const GRACE_MS = 3_000;

export class Checker {
  private startsSeen = 0;
  constructor(
    private readonly t: T,
    private readonly clock: Clock,
    private readonly pools: PoolModel[],
    private readonly jobs: Map<string, JobRecord>,
    private readonly fail: (msg: string) => never,
  ) {}

  /** The component's jobs and pools, read straight from its tables. */
  async tables(): Promise<{ jobs: JobDoc[]; pools: PoolDoc[] }> {
    // convex-test's `runInComponent` (untyped) runs a function against a component's tables.
    return await (this.t as unknown as { runInComponent: RunIn }).runInComponent("jobs", async (ctx: any) => ({
      jobs: (await ctx.db.query("jobs").collect()) as JobDoc[],
      pools: await ctx.db.query("pools").collect(),
    }));
  }

  async callbacks(): Promise<Map<string, string[]>> {
    const rows = (await this.t.run((ctx: any) =>
      ctx.db.query("events").withIndex("by_kind", (q: any) => q.eq("kind", "sim-done")).collect(),
    )) as { key: string; data: { kind: string } }[];
    const byJob = new Map<string, string[]>();
    for (const r of rows) byJob.set(r.key, [...(byJob.get(r.key) ?? []), r.data.kind]);
    return byJob;
  }

  /** Invariants that hold at any moment. */
  async always() {
    const { jobs: docs, pools } = await this.tables();
    const byId = new Map(docs.map((d) => [d._id, d]));
    const callbacks = await this.callbacks();
    for (const job of this.jobs.values()) {
      const doc = byId.get(job.id);
      if (!doc) this.fail(`job ${job.key} (${job.id}) vanished`);
      const calls = callbacks.get(job.id) ?? [];
      if (calls.length > 1) this.fail(`job ${job.key}: onComplete committed ${calls.length} times (${calls})`);
      const final = doc.state === "succeeded" || doc.state === "failed" || doc.state === "canceled";
      if (final) {
        const now = { kind: doc.result?.kind ?? "?", attempt: doc.attempt };
        if (!job.final) job.final = now;
        else if (job.final.kind !== now.kind || job.final.attempt !== now.attempt) {
          this.fail(`job ${job.key}: final state changed from ${JSON.stringify(job.final)} to ${JSON.stringify(now)}`);
        }
      } else if (calls.length > 0 && !(doc.state === "running" && doc.cancelRequested)) {
        this.fail(`job ${job.key}: onComplete ran (${calls}) while it is ${doc.state}`);
      }
      if (calls.length === 1 && final && calls[0] !== doc.result?.kind) {
        this.fail(`job ${job.key}: onComplete heard ${calls[0]} but the job ended ${doc.result?.kind}`);
      }
    }
    for (const pool of this.pools) {
      const id = pools.find((p: { name: string }) => p.name === pool.name)?._id;
      const running = docs.filter((d) => d.pool === id && d.state === "running");
      if (running.length === 0) continue;
      const oldest = Math.min(...running.map((d) => d.startedAt ?? 0));
      const cap = capDuring(pool, oldest - 5, Date.now());
      if (running.length > cap) this.fail(`pool ${pool.name}: ${running.length} jobs running, cap ${cap}`);
    }
    for (; this.startsSeen < sim.starts.length; this.startsSeen++) {
      const s = sim.starts[this.startsSeen];
      const pool = this.pools.find((p) => p.name === s.pool)!;
      const cap = capDuring(pool, s.oldestAt - 5, s.at);
      if (s.active > cap) this.fail(`pool ${s.pool}: ${s.key} started with ${s.active} running, cap ${cap}`);
    }
  }

  /**
   * No job is stranded: if a pool has a free slot and ready pending jobs, the oldest of them
   * (first in line, whatever else arrives) must have started within GRACE_MS.
   */
  async notStranded() {
    const { jobs: docs, pools } = await this.tables();
    const now = Date.now();
    const waiting: { job: JobRecord; attempt: number; free: number; pool: string }[] = [];
    for (const p of pools) {
      const mine = docs.filter((d) => d.pool === p._id);
      const running = mine.filter((d) => d.state === "running").length;
      if (running >= p.maxParallelism) continue;
      const ready = mine
        .filter((d) => d.state === "pending" && d.readyAt <= now && !this.jobs.get(d._id)?.canceled)
        .sort((a, b) => a.readyAt - b.readyAt || a._creationTime - b._creationTime);
      const first = ready[0] && this.jobs.get(ready[0]._id);
      if (first) waiting.push({ job: first, attempt: ready[0].attempt, free: p.maxParallelism - running, pool: p.name });
    }
    await this.clock.advance(GRACE_MS);
    if (waiting.length === 0) return;
    const after = new Map((await this.tables()).jobs.map((d: JobDoc) => [d._id, d]));
    for (const w of waiting) {
      // Still pending with no new attempt: it never started (a retry back in backoff did).
      const later = after.get(w.job.id);
      if (later?.state === "pending" && later.attempt === w.attempt) {
        this.fail(`pool ${w.pool}: ${w.job.key} stayed pending for ${GRACE_MS} ms with ${w.free} slot(s) free`);
      }
    }
  }

  /** `stats` equal a recount of the tables, once the dispatcher has caught up (bounded time). */
  async statsMatch() {
    const deadline = Date.now() + GRACE_MS;
    for (;;) {
      const mismatch = await this.statsMismatch();
      if (!mismatch) return;
      if (this.clock.nextTimerAt() > deadline) {
        await this.clock.advance(Math.max(0, deadline - Date.now()));
        const last = await this.statsMismatch();
        if (last) this.fail(last);
        return;
      }
      this.clock.step();
      await this.clock.settle();
    }
  }

  private async statsMismatch(): Promise<string | null> {
    const { jobs: docs, pools } = await this.tables();
    for (const pool of this.pools) {
      const id = pools.find((p: { name: string }) => p.name === pool.name)?._id;
      if (!id) continue;
      const recount: Counts = { pending: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };
      for (const d of docs) if (d.pool === id) recount[d.state as keyof Counts]++;
      const handle = pool.handles[0];
      const stats = await this.t.run((ctx: any) => handle.stats(ctx));
      if ((Object.keys(recount) as (keyof Counts)[]).some((k) => stats[k] !== recount[k])) {
        return `pool ${pool.name}: stats ${JSON.stringify(stats)} but the tables hold ${JSON.stringify(recount)}`;
      }
    }
    return null;
  }

  /** At the end: every job final, as planned unless a fault or cancel intervened, onComplete once. */
  async finalState() {
    const { jobs: docs } = await this.tables();
    const byId = new Map(docs.map((d: JobDoc) => [d._id, d]));
    const callbacks = await this.callbacks();
    for (const job of this.jobs.values()) {
      const doc = byId.get(job.id)!;
      if (!["succeeded", "failed", "canceled"].includes(doc.state)) {
        this.fail(`job ${job.key} never finished: ${doc.state} (attempt ${doc.attempt})`);
      }
      if (job.canceled && doc.result?.kind !== "canceled") {
        this.fail(`job ${job.key}: canceled while unfinished, but ended ${doc.result?.kind}`);
      }
      const want = expectedOutcomes(job);
      if (want && !want.some((w) => w.kind === doc.result?.kind && w.attempt === doc.attempt)) {
        this.fail(`job ${job.key} (${job.kind}, ${job.failures}x ${job.how}, ${job.maxAttempts} attempts): ended ${doc.result?.kind} at attempt ${doc.attempt}, expected ${JSON.stringify(want)}`);
      }
      const calls = callbacks.get(job.id) ?? [];
      const wantCalls = job.callback === "good" ? 1 : 0;
      if (calls.length !== wantCalls) this.fail(`job ${job.key}: onComplete committed ${calls.length} times, expected ${wantCalls}`);
      if (job.callback === "bad" && !doc.callbackError) this.fail(`job ${job.key}: its callback threw but no callbackError is recorded`);
    }
  }
}

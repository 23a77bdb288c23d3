/**
 * The flow-control invariants, on top of ./checks.ts (exactly one final state, onComplete once,
 * the pool cap, `stats` equal a recount). Checked on the job starts the app recorded
 * (`sim.starts`) after every step:
 *  - per-key cap: no start while its key already had `keyConcurrency` jobs running;
 *  - rate: the starts of a pool, and of each key, replay through a token bucket without overdraw;
 *  - pause: no start while its pool or its key was paused;
 *  - order (bounded wait): a job is overtaken only by jobs whose rank (readyAt - boost) is at most
 *    its own, i.e. that became ready at most their boost difference after it;
 *  - no job ran twice at once, and every attempt the component counts ran exactly once;
 *  - nothing stranded: a pool with a free slot and a job that could start starts something soon.
 */
import type { TestConvex } from "convex-test";
import type { Clock } from "../../src/test.js";
import { GRACE_MS } from "./checks.js";
import { sim } from "../app/sim.js";
import { bucketOverdraw, isPaused, type Dispatched, type FlowJob, type FlowPool, type Pause } from "./flowModel.js";

type RunIn = (path: string, fn: (ctx: any) => Promise<unknown>) => Promise<any>;
type Doc = { _id: string; pool: string; state: string; attempt: number; key?: string; readyAt: number };

/**
 * Simulated time after a pause call during which the dispatcher may still start a job it holds.
 * 0: `pause` writes the pool document, and `pauseKey` inserts its news (a tally) and requests a
 * dispatch run, in one transaction; every dispatch run after that reads the pool document, and
 * folds the tallies it sees before it starts anything (fewer than a batch of them exist here),
 * and nothing is in flight when a step's calls are made (the clock has settled). So no start
 * the dispatcher makes after the call may be of a paused pool or key. Starts are compared by
 * their place in the dispatcher's record, not by time alone: a pause shares its millisecond
 * with the starts just before it. Job functions are not used here: they begin a scheduler hop
 * after their start, so a function may begin after a pause its dispatch preceded.
 */
export const PAUSE_TOLERANCE_MS = 0;

export class FlowChecker {
  private seen = 0;
  private seenDispatched = 0;
  constructor(
    private readonly t: TestConvex<any>,
    private readonly pools: FlowPool[],
    private readonly jobs: Map<string, FlowJob>,
    private readonly dispatched: Dispatched[],
    private readonly fail: (msg: string) => never,
  ) {}

  private component<R>(fn: (ctx: any) => Promise<R>): Promise<R> {
    return (this.t as unknown as { runInComponent: RunIn }).runInComponent("jobs", fn);
  }

  private pool(name: string): FlowPool {
    return this.pools.find((p) => p.name === name)!;
  }

  /** Checks the starts since the last call: per-key cap and overlaps (functions), pauses (dispatcher). */
  newStarts() {
    if (sim.overlaps.length) this.fail(`job ${sim.overlaps[0]} started again while a run of it was still going`);
    for (; this.seen < sim.starts.length; this.seen++) {
      const s = sim.starts[this.seen];
      const pool = this.pool(s.pool);
      if (s.group !== undefined && s.groupActive! > pool.keyConcurrency) {
        this.fail(`pool ${s.pool}: ${s.key} started with ${s.groupActive} jobs of key ${s.group} running, keyConcurrency ${pool.keyConcurrency}`);
      }
    }
    for (; this.seenDispatched < this.dispatched.length; this.seenDispatched++) {
      const i = this.seenDispatched;
      const d = this.dispatched[i];
      const pool = this.pool(d.pool);
      const job = this.jobs.get(d.jobId)!;
      const held = (pauses: Pause[] | undefined) =>
        pauses?.find((p) => i >= p.startsBefore && i < p.startsUntil && d.at >= p.at + PAUSE_TOLERANCE_MS);
      const poolPause = held(pool.pauses);
      if (poolPause) this.fail(`pool ${d.pool}: ${job.key} started at t=${d.at} while the pool was paused (since ${poolPause.at})`);
      const keyPause = job.group !== undefined ? held(pool.keyPauses.get(job.group)) : undefined;
      if (keyPause) this.fail(`pool ${d.pool}: ${job.key} started at t=${d.at} while its key ${job.group} was paused (since ${keyPause.at})`);
    }
  }

  /**
   * No ready job is stranded. When a pool (not paused) has a free slot and a ready pending job
   * that could take it (not canceled; its key, if any, not paused and under its cap), the pool
   * must start something within GRACE_MS: that job or another (which may take the slot). The
   * grace covers the longest a token can be missing: a bucket refills one token in at most
   * periodMs / rate = 2,000 ms here. Advances the clock by GRACE_MS when there is a job to watch.
   */
  async notStranded(clock: Clock) {
    const docs = (await this.component((ctx) => ctx.db.query("jobs").collect())) as Doc[];
    const poolDocs = (await this.component((ctx) => ctx.db.query("pools").collect())) as { _id: string; name: string }[];
    const now = Date.now();
    const waiting: { pool: FlowPool; job: FlowJob; attempt: number; starts: number }[] = [];
    for (const pool of this.pools) {
      const id = poolDocs.find((p) => p.name === pool.name)?._id;
      if (!id || isPaused(pool.pauses)) continue;
      const mine = docs.filter((d) => d.pool === id);
      const running = mine.filter((d) => d.state === "running");
      if (running.length >= pool.caps[0].cap) continue;
      const keyFree = (key: string | undefined) =>
        key === undefined || (!isPaused(pool.keyPauses.get(key)) && running.filter((d) => d.key === key).length < pool.keyConcurrency);
      const ready = mine.find((d) => d.state === "pending" && d.readyAt <= now && !this.jobs.get(d._id)?.canceled && keyFree(d.key));
      if (!ready) continue;
      waiting.push({ pool, job: this.jobs.get(ready._id)!, attempt: ready.attempt, starts: this.startsOf(pool) });
    }
    if (waiting.length === 0) return;
    this.strandChecks += waiting.length;
    await clock.advance(GRACE_MS);
    const after = new Map(((await this.component((ctx) => ctx.db.query("jobs").collect())) as Doc[]).map((d) => [d._id, d]));
    for (const w of waiting) {
      const later = after.get(w.job.id);
      if (this.startsOf(w.pool) > w.starts || later?.state !== "pending" || later.attempt !== w.attempt) continue;
      this.fail(`pool ${w.pool.name}: ${w.job.key}${w.job.group ? ` (key ${w.job.group})` : ""} could start into a free slot, but nothing started for ${GRACE_MS} ms`);
    }
  }

  /** How many times `notStranded` found a job that could start (and so checked something). */
  strandChecks = 0;

  private startsOf(pool: FlowPool): number {
    return this.dispatched.filter((d) => d.pool === pool.name).length;
  }

  /** Running jobs per key in the tables never exceed the key's cap. */
  async keyCaps() {
    const docs = (await this.component((ctx) => ctx.db.query("jobs").collect())) as Doc[];
    const pools = (await this.component((ctx) => ctx.db.query("pools").collect())) as { _id: string; name: string }[];
    const running = new Map<string, number>();
    for (const d of docs) {
      if (d.state !== "running" || d.key === undefined) continue;
      const k = `${d.pool}/${d.key}`;
      running.set(k, (running.get(k) ?? 0) + 1);
    }
    for (const [k, n] of running) {
      const [poolId, key] = k.split("/");
      const pool = this.pool(pools.find((p) => p._id === poolId)!.name);
      if (n > pool.keyConcurrency) this.fail(`pool ${pool.name}: ${n} jobs of key ${key} running in the tables, keyConcurrency ${pool.keyConcurrency}`);
    }
  }

  /**
   * The dispatcher's starts so far replay through each bucket (pool and per key) without
   * overdraw. Returns how many starts were replayed (a start under both buckets counts twice).
   */
  buckets(): number {
    let replayed = 0;
    for (const pool of this.pools) {
      const mine = this.dispatched.filter((s) => s.pool === pool.name).map((d) => ({ at: d.at, group: this.jobs.get(d.jobId)!.group }));
      const overdraw = (times: number[], limit: NonNullable<FlowPool["rateLimit"]>, what: string) => {
        replayed += times.length;
        const i = bucketOverdraw(times, limit);
        if (i === -1) return;
        const at = [...times].sort((a, b) => a - b)[i];
        this.fail(`${what}: start #${i + 1} at t=${at} found no token in ${JSON.stringify(limit)} (starts: ${times.join(",")})`);
      };
      if (pool.rateLimit) overdraw(mine.map((s) => s.at), pool.rateLimit, `pool ${pool.name}`);
      if (!pool.keyRateLimit) continue;
      const byKey = new Map<string, number[]>();
      for (const s of mine) if (s.group !== undefined) byKey.set(s.group, [...(byKey.get(s.group) ?? []), s.at]);
      for (const [key, times] of byKey) overdraw(times, pool.keyRateLimit, `pool ${pool.name} key ${key}`);
    }
    return replayed;
  }

  /**
   * Bounded wait, as the pairwise rule it follows from: when job B's first attempt started
   * while job A (same pool, and the same key or both without one) was ready and waiting for its
   * first attempt, B's rank was at most A's. Ranks of first attempts are known exactly (readyAt
   * read after enqueue, minus the boost); retries are left out (their readyAt is the
   * component's). Only pairs the dispatcher must have seen together count: B started after A
   * was enqueued (later in the dispatcher's record), strictly after A became ready, and
   * strictly before A started (one run starts several jobs at the same time). Canceled jobs
   * are left out. Returns how many pairs were checked, and in how many of them B became ready
   * after A and still went first (its boost let it overtake).
   */
  order(): { pairs: number; overtakes: number } {
    let pairs = 0;
    let overtakes = 0;
    const first = new Map<string, number>();
    this.dispatched.forEach((d, i) => d.attempt === 1 && first.set(this.jobs.get(d.jobId)!.key, i));
    const lanes = new Map<string, FlowJob[]>();
    for (const j of this.jobs.values()) {
      if (j.canceled) continue;
      const lane = `${j.pool}/${j.group ?? ""}`;
      lanes.set(lane, [...(lanes.get(lane) ?? []), j]);
    }
    for (const lane of lanes.values()) {
      for (const b of lane) {
        const iB = first.get(b.key);
        if (iB === undefined) continue;
        const tB = this.dispatched[iB].at;
        const rankB = b.readyAt - b.boostMs;
        for (const a of lane) {
          if (a === b || a.startsBefore > iB || a.readyAt >= tB) continue;
          const iA = first.get(a.key);
          if (iA !== undefined && this.dispatched[iA].at <= tB) continue;
          const rankA = a.readyAt - a.boostMs;
          pairs++;
          if (b.readyAt > a.readyAt) overtakes++;
          if (rankB > rankA) {
            this.fail(
              `pool ${a.pool}${a.group ? ` key ${a.group}` : ""}: ${b.key} (ready ${b.readyAt}, boost ${b.boostMs}, rank ${rankB}) started at t=${tB} ` +
                `ahead of ${a.key} (ready ${a.readyAt}, boost ${a.boostMs}, rank ${rankA}), waiting since ${a.readyAt}`,
            );
          }
        }
      }
    }
    return { pairs, overtakes };
  }

  /**
   * `stats` show the pool's pause at once (it is the pool document). `keyStats` show a key's
   * pause once the dispatcher has folded it: the news waits in a tally until the dispatch run
   * pauseKey schedules (about 1 ms later). Starts are safe meanwhile (every run folds the news
   * before it starts anything: checked in `newStarts`); only the view lags. So keys with news
   * still in a tally are not checked here.
   */
  async pausesShown() {
    const tallies = (await this.component((ctx) => ctx.db.query("tallies").collect())) as { pool: string; keys?: { key: string }[] }[];
    const poolDocs = (await this.component((ctx) => ctx.db.query("pools").collect())) as { _id: string; name: string }[];
    const unfolded = new Set(tallies.flatMap((t) => (t.keys ?? []).map((k) => `${poolDocs.find((p) => p._id === t.pool)?.name}/${k.key}`)));
    for (const pool of this.pools) {
      const h = pool.handles[0];
      const stats = await this.t.run((ctx: any) => h.stats(ctx));
      const paused = isPaused(pool.pauses);
      if ((stats.paused === true) !== paused) this.fail(`pool ${pool.name}: stats say paused=${stats.paused} but the pool is ${paused ? "" : "not "}paused`);
      for (const [key, pauses] of pool.keyPauses) {
        if (unfolded.has(`${pool.name}/${key}`)) continue;
        const ks = await this.t.run((ctx: any) => h.keyStats(ctx, key));
        const keyPaused = isPaused(pauses);
        if ((ks?.paused === true) !== keyPaused) {
          this.fail(`pool ${pool.name} key ${key}: keyStats ${JSON.stringify(ks)} but the key is ${keyPaused ? "" : "not "}paused`);
        }
      }
    }
  }

  /**
   * At the end: each job's function ran as often as the component counted attempts (none twice;
   * retries and turned-away attempts are counted ones); no key state left; nothing pending.
   */
  async drained() {
    const docs = new Map(((await this.component((ctx) => ctx.db.query("jobs").collect())) as Doc[]).map((d) => [d._id, d]));
    for (const job of this.jobs.values()) {
      const ran = sim.attempts.get(job.key) ?? 0;
      const doc = docs.get(job.id)!;
      // A job canceled after its start but before its runner claimed it never runs its last attempt.
      const fewer = job.canceled && ran === doc.attempt - 1;
      if (ran !== doc.attempt && !fewer) this.fail(`job ${job.key}: its function ran ${ran} times, the component counted ${doc.attempt} attempts`);
    }
    const keys = (await this.component((ctx) => ctx.db.query("keys").collect())) as { key: string; lane: string }[];
    if (keys.length) this.fail(`after the drain, key state is left: ${JSON.stringify(keys.slice(0, 3))}`);
    for (const pool of this.pools) {
      const seen = await this.t.run((ctx: any) => pool.handles[0].inspect(ctx));
      if (seen && (seen.pending !== 0 || seen.running !== 0 || seen.paused)) this.fail(`pool ${pool.name}: inspect after the drain: ${JSON.stringify(seen)}`);
    }
  }
}

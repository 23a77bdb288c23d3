/**
 * One seeded scenario of the flow-control simulation: one or two pools with random flow config
 * (caps, per-key caps, rate limits) get a random mix of enqueues (priorities, concurrency keys,
 * delays, retries, RateLimitedError), pauses and resumes of pools and keys, cancels and time
 * steps, through the Workpool client; after every step the invariants of ./checks.ts and
 * ./flowChecks.ts are checked. At the end everything is resumed and drained. No faults are
 * injected here (./scenario.ts does that for the plain pool).
 */
import { Workpool, type EnqueueOptions, type RateLimit } from "../../src/client/index.js";
import { components, internal } from "../app/_generated/api.js";
import { sim } from "../app/sim.js";
import { Checker, GRACE_MS } from "./checks.js";
import { cancelAll, cancelOne, type CancelCtx } from "./cancels.js";
import { FlowChecker } from "./flowChecks.js";
import { isPaused, parseStarted, togglePause, type Dispatched, type FlowJob, type FlowPool } from "./flowModel.js";
import { listenToInfo } from "./seeds.js";
import { openScenario, runSteps } from "./harness.js";
import { type How, type JobRecord, type Rng, type Tally } from "./model.js";

export async function runFlowScenario(seed: number, tally: Tally, verbose = false): Promise<void> {
  const { r, clock, t, log, fail } = await openScenario(seed, `FLOW_SOAK_SEED=${seed} npx vitest run test/flowSoak.test.ts`, verbose);
  const jobs = new Map<string, FlowJob>();
  const pools = makePools(r);
  log(pools.map((p) => `${p.name}: cap ${p.caps[0].cap}, keyConcurrency ${p.keyConcurrency}, keys ${p.keySet.length}, rate ${JSON.stringify(p.rateLimit)}, keyRate ${JSON.stringify(p.keyRateLimit)}, attempts ${p.maxAttempts}`).join("; "));
  const check = new Checker(t, clock, pools, jobs as Map<string, JobRecord>, fail);
  const dispatched: Dispatched[] = [];
  const stopListening = listenToInfo((args) => {
    const d = parseStarted(args);
    if (d) dispatched.push(d);
  });
  const flow = new FlowChecker(t, pools, jobs, dispatched, fail);
  const cancels: CancelCtx = { t, r, jobs: jobs as Map<string, JobRecord>, pools, tally, log, fail };
  let n = 0;

  /** Enqueues 1..size jobs with one set of options (priority, key, delay, retry, callback). */
  async function enqueue(pool: FlowPool, size: number) {
    const kind = r.pick(["action", "action", "mutation"] as const);
    const retry = r.chance(0.6);
    const callback = r.pick(["good", "good", "good", "none", "bad"] as const);
    const delay = r.chance(0.3) ? r.int(1, 4_000) : 0;
    const priority = r.pick([undefined, undefined, "highest", "high", "normal", "low", "lowest", "boost"] as const);
    const group = r.chance(0.6) ? r.pick(pool.keySet) : undefined;
    const plans = Array.from({ length: size }, () => plan(r, kind, pool.name, `j${n++}`, group));
    const options: EnqueueOptions<any, any> = {
      retry,
      ...(callback === "none" ? {} : { onComplete: callback === "good" ? internal.sim.simDone : internal.sim.simBadDone, context: { seed } }),
      ...(delay === 0 ? {} : r.chance(0.5) ? { runAfter: delay } : { runAt: Date.now() + delay }),
      ...(priority === undefined ? {} : { priority: priority === "boost" ? { boostMs: r.int(-5_000, 5_000) } : priority }),
      ...(group === undefined ? {} : { key: group }),
    };
    const h = pool.handles[0];
    const fn = kind === "action" ? internal.sim.simAction : internal.sim.simMutation;
    const startsBefore = dispatched.length;
    const ids: string[] = await t.run(async (ctx: any) => {
      if (size > 1) return kind === "action" ? await h.enqueueActionBatch(ctx, fn, plans, options) : await h.enqueueMutationBatch(ctx, fn, plans, options);
      // No dedupe in these options, so a single enqueue returns a plain id.
      const one = kind === "action" ? await h.enqueueAction(ctx, fn, plans[0], options) : await h.enqueueMutation(ctx, fn, plans[0], options);
      return [one as string];
    });
    log(
      `enqueue ${pool.name} ${kind} ${plans.map((p) => `${p.key}(${p.failures}x${p.how}${"ms" in p ? ` ${p.ms}ms` : ""})`).join(" ")} ` +
        `key=${group} priority=${JSON.stringify(options.priority)} retry=${retry} cb=${callback} delay=${delay}`,
    );
    const docs = new Map((await check.tables()).jobs.map((d) => [d._id, d as typeof d & { boostMs?: number }]));
    for (const [i, id] of ids.entries()) {
      const p = plans[i];
      const doc = docs.get(id)!;
      jobs.set(id, {
        id: id as FlowJob["id"],
        pool: pool.name,
        key: p.key,
        kind,
        failures: p.failures,
        how: p.how,
        maxAttempts: retry ? pool.maxAttempts : 1,
        callback,
        faulted: false,
        canceled: false,
        group,
        boostMs: doc.boostMs ?? 0,
        readyAt: doc.readyAt,
        startsBefore,
      });
    }
  }

  async function pausePool(pool: FlowPool) {
    const paused = !isPaused(pool.pauses);
    await t.run((ctx: any) => (paused ? pool.handles[0].pause(ctx) : pool.handles[0].resume(ctx)));
    togglePause(pool.pauses, paused, Date.now(), dispatched.length);
    log(`${paused ? "pause" : "resume"} ${pool.name}`);
    tally.add(paused ? "pool paused" : "pool resumed");
  }

  async function pauseKey(pool: FlowPool, key: string, paused: boolean) {
    const pauses = pool.keyPauses.get(key) ?? [];
    pool.keyPauses.set(key, pauses);
    await t.run((ctx: any) => (paused ? pool.handles[0].pauseKey(ctx, key) : pool.handles[0].resumeKey(ctx, key)));
    togglePause(pauses, paused, Date.now(), dispatched.length);
    log(`${paused ? "pauseKey" : "resumeKey"} ${pool.name} ${key}`);
    tally.add(paused ? "key paused" : "key resumed");
  }

  async function checkAll() {
    flow.newStarts();
    await check.always();
    await flow.keyCaps();
    flow.buckets();
    flow.order();
    await flow.pausesShown();
  }

  try {
    const act = async (op: number, pool: FlowPool) => {
      if (op < 0.35) await enqueue(pool, 1);
      else if (op < 0.55) await enqueue(pool, r.int(2, 6));
      else if (op < 0.63) await cancelOne(cancels);
      else if (op < 0.66) await cancelAll(cancels, pool);
      else if (op < 0.76) await pausePool(pool);
      else {
        const key = r.pick(pool.keySet);
        await pauseKey(pool, key, !isPaused(pool.keyPauses.get(key)));
      }
    };
    const steps = await runSteps({ r, clock, log }, pools, act, async () => {
      await checkAll();
      await flow.notStranded(clock);
      await checkAll();
      await check.statsMatch();
      await checkAll();
    });
    // Resume everything, then everything not canceled must finish within a bounded time.
    for (const pool of pools) {
      if (isPaused(pool.pauses)) await pausePool(pool);
      for (const [key, pauses] of pool.keyPauses) if (isPaused(pauses)) await pauseKey(pool, key, false);
    }
    const took = await clock.drain(GRACE_MS * 100);
    if (took > 10 * 60_000) fail(`the pools took ${took} ms to drain`);
    await checkAll();
    await check.statsMatch();
    await check.finalState();
    await flow.drained();
    tally.add("job attempt threw", sim.failed.error);
    tally.add("NonRetryableError", sim.failed.nonRetryable);
    tally.add("RateLimitedError", sim.failed.rateLimited);
    tally.add("job starts", dispatched.length);
    tally.add("starts replayed through a bucket", flow.buckets());
    const { pairs, overtakes } = flow.order();
    tally.add("start-order pairs checked", pairs);
    tally.add("of which overtaken by priority", overtakes);
    tally.add("stranding checks with a startable job", flow.strandChecks);
    tally.add("starts of keyed jobs", sim.starts.filter((s) => s.group !== undefined).length);
    tally.scenarios++;
    tally.steps += steps;
    tally.jobs += jobs.size;
  } finally {
    stopListening();
    clock.uninstall();
  }
}

function rateLimit(r: Rng): RateLimit {
  const rate = r.int(1, 5);
  return { rate, periodMs: r.pick([500, 1_000, 2_000]), ...(r.chance(0.3) ? { capacity: r.int(1, rate + 2) } : {}) };
}

function makePools(r: Rng): FlowPool[] {
  return Array.from({ length: r.int(1, 2) }, (_, i) => {
    const name = `f${i}`;
    const maxParallelism = r.int(1, 10);
    const keyConcurrency = r.int(1, 3);
    const rate = r.chance(0.4) ? rateLimit(r) : undefined;
    const keyRate = r.chance(0.4) ? rateLimit(r) : undefined;
    const keySet = Array.from({ length: r.chance(0.5) ? r.int(1, 3) : r.int(10, 40) }, (_, k) => `k${k}`);
    const policy = { maxAttempts: r.int(1, 3), initialBackoffMs: r.pick([10, 100, 1_000]), jitter: "none" as const };
    const handle = new Workpool(components.jobs, {
      name,
      maxParallelism,
      keyConcurrency,
      // INFO prints the dispatcher's `job.started` events, the record of its starts (./flowModel.ts).
      logLevel: "INFO",
      retry: policy,
      ...(rate ? { rateLimit: rate } : {}),
      ...(keyRate ? { keyRateLimit: keyRate } : {}),
    });
    return {
      name,
      handles: [handle],
      maxAttempts: policy.maxAttempts,
      caps: [{ at: -Infinity, cap: maxParallelism }],
      keyConcurrency,
      rateLimit: rate,
      keyRateLimit: keyRate,
      keySet,
      pauses: [],
      keyPauses: new Map(),
    };
  });
}

function plan(r: Rng, kind: "action" | "mutation", pool: string, key: string, group: string | undefined) {
  const failures = r.chance(0.5) ? 0 : r.int(1, 3);
  const how: How = r.pick(["error", "error", "nonRetryable", "rateLimited", "rateLimited"] as const);
  const base = { pool, key, failures, how, ...(how === "rateLimited" ? { retryAfterMs: r.int(50, 3_000) } : {}), ...(group ? { group } : {}) };
  return kind === "action" ? { ...base, ms: r.chance(0.1) ? r.int(5_000, 20_000) : r.int(0, 2_000) } : base;
}

/**
 * One seeded scenario of the fault simulation: a few pools (and a retrier) get a random mix of
 * enqueues, cancels, config changes and faults over simulated time, through the public client
 * classes; after every step the invariants in ./checks.ts are checked. The same seed replays the
 * same scenario.
 */
import { ActionRetrier, Workpool } from "../../src/client/index.js";
import { components, internal } from "../app/_generated/api.js";
import { sim } from "../app/sim.js";
import { Checker, GRACE_MS } from "./checks.js";
import { failDispatches, killNextRunner, killNextWorker, restoreAll } from "./faults.js";
import { openScenario, runSteps } from "./harness.js";
import { cancelAll, cancelOne, type CancelCtx } from "./cancels.js";
import { type How, type JobRecord, type Kind, type PoolModel, type Rng, type Tally } from "./model.js";

export async function runScenario(seed: number, tally: Tally, verbose = false): Promise<void> {
  const { r, clock, t, log, fail } = await openScenario(seed, `SOAK_SEED=${seed} npm run test:soak`, verbose);
  const jobs = new Map<string, JobRecord>();
  const pools = makePools(r);
  const check = new Checker(t, clock, pools, jobs, fail);
  const cancels: CancelCtx = { t, r, jobs, pools, tally, log, fail };
  let n = 0;
  const keyOf = (id: string) => jobs.get(id)?.key;
  const markFaulted = (ids: string[]) => {
    log(`killed: ${ids.map(keyOf).join(" ")}`);
    ids.forEach((id) => jobs.get(id) && (jobs.get(id)!.faulted = true));
  };

  /** Enqueues 1..size jobs into a pool through one of its handles. */
  async function enqueue(pool: PoolModel, size: number) {
    const kind: Kind = pool.retrier ? "action" : r.pick(["action", "action", "mutation", "query"] as const);
    const handleIx = pool.retrier ? 0 : r.int(0, pool.handles.length - 1);
    const retry = pool.retrier !== undefined || (kind !== "query" && r.chance(0.6));
    const callback = r.pick(["good", "good", "good", "none", "bad"] as const);
    const delay = r.chance(0.3) ? r.int(1, 4_000) : 0;
    const plans = Array.from({ length: size }, () => plan(r, kind, pool.name, `j${n++}`));
    const options = {
      ...(callback === "none" ? {} : { onComplete: callback === "good" ? internal.sim.simDone : internal.sim.simBadDone, context: { seed } }),
      ...(delay === 0 ? {} : r.chance(0.5) ? { runAfter: delay } : { runAt: Date.now() + delay }),
    };
    const ids = await t.run(async (ctx: any) => {
      if (pool.retrier) {
        const out = [];
        for (const p of plans) out.push(await pool.retrier.run(ctx, internal.sim.simAction, p, options));
        return out;
      }
      const h = pool.handles[handleIx];
      const fn = kind === "action" ? internal.sim.simAction : kind === "mutation" ? internal.sim.simMutation : internal.sim.simQuery;
      const args = plans.map((p) => (kind === "query" ? { pool: p.pool, key: p.key } : p));
      const opts = { ...options, retry };
      if (size === 1) {
        const one =
          kind === "action" ? h.enqueueAction(ctx, fn, args[0], opts) : kind === "mutation" ? h.enqueueMutation(ctx, fn, args[0], opts) : h.enqueueQuery(ctx, fn, args[0], opts);
        return [await one];
      }
      return kind === "action"
        ? await h.enqueueActionBatch(ctx, fn, args, opts)
        : kind === "mutation"
          ? await h.enqueueMutationBatch(ctx, fn, args, opts)
          : await h.enqueueQueryBatch(ctx, fn, args, opts);
    });
    log(`enqueue ${pool.name}#${handleIx} ${kind} ${plans.map((p) => `${p.key}(${p.failures}x${p.how}${"ms" in p ? ` ${p.ms}ms` : ""})`).join(" ")} retry=${retry} cb=${callback} delay=${delay}`);
    const cap = pool.retrier ? pool.caps[0].cap : pool.handles[handleIx].options.maxParallelism;
    if (cap !== pool.caps.at(-1)!.cap) {
      pool.caps.push({ at: Date.now(), cap });
      tally.add("config change");
    }
    for (const [i, id] of ids.entries()) {
      const p = plans[i];
      jobs.set(id, {
        id,
        pool: pool.name,
        key: p.key,
        kind,
        failures: kind === "query" ? 0 : p.failures,
        how: p.how,
        maxAttempts: retry ? pool.maxAttempts : 1,
        callback,
        faulted: false,
        canceled: false,
      });
    }
  }

  function injectFault() {
    const what = r.pick(["runner", "worker", "dispatch"] as const);
    log(`fault armed: ${what}`);
    if (what === "runner") {
      const mode = r.pick(["before", "mid", "after"] as const);
      killNextRunner(mode, r.int(0, 1_500), keyOf, (ids) => {
        markFaulted(ids);
        tally.add(`action runner killed (${mode})`);
      });
    } else if (what === "worker") {
      const mode = r.pick(["before", "after"] as const);
      killNextWorker(mode, (id) => {
        markFaulted([id]);
        tally.add(`mutation worker killed (${mode})`);
      });
    } else {
      if (!failDispatches(r.int(1, 3), () => tally.add("dispatch run threw"))) log("(a dispatch fault is already armed)");
    }
  }

  try {
    const act = async (op: number, pool: PoolModel) => {
      if (op < 0.45) await enqueue(pool, 1);
      else if (op < 0.65) await enqueue(pool, r.int(2, 6));
      else if (op < 0.75) await cancelOne(cancels);
      else if (op < 0.8) await cancelAll(cancels, r.pick(pools.filter((p) => !p.retrier)));
      else injectFault();
    };
    const steps = await runSteps({ r, clock, log }, pools, act, async () => {
      await check.always();
      await check.notStranded();
      await check.always();
      await check.statsMatch();
    });
    // Stop injecting faults; let everything finish (watchdog included) within a bounded time.
    restoreAll();
    const took = await clock.drain(GRACE_MS * 100);
    if (took > 10 * 60_000) fail(`the pool took ${took} ms to drain`);
    await check.always();
    await check.statsMatch();
    await check.finalState();
    tally.add("job attempt threw", sim.failed.error);
    tally.add("NonRetryableError", sim.failed.nonRetryable);
    tally.add("result too large", sim.failed.big);
    tally.scenarios++;
    tally.steps += steps;
    tally.jobs += jobs.size;
  } finally {
    restoreAll();
    clock.uninstall();
  }
}

function makePools(r: Rng): PoolModel[] {
  const pools: PoolModel[] = [];
  const count = r.int(1, 2);
  for (let i = 0; i < count; i++) {
    const name = `p${i}`;
    const caps = [r.int(1, 4), r.int(1, 6)];
    const policy = { maxAttempts: r.int(1, 3), initialBackoffMs: r.pick([10, 100, 1_000]), jitter: "none" as const };
    const handles = caps.map((maxParallelism) => new Workpool(components.jobs, { name, maxParallelism, retry: policy }));
    pools.push({ name, handles, maxAttempts: policy.maxAttempts, caps: [{ at: -Infinity, cap: caps[0] }] });
  }
  const maxFailures = r.int(0, 2);
  const cap = r.int(1, 3);
  const retrier = new ActionRetrier(components.jobs, { poolName: "r", maxParallelism: cap, maxFailures, initialBackoffMs: 200, jitter: "none" });
  // The retrier has no `stats`; a handle on its pool reads them (a query changes no config).
  const stats = new Workpool(components.jobs, { name: "r", maxParallelism: cap });
  pools.push({ name: "r", handles: [stats], retrier, maxAttempts: maxFailures + 1, caps: [{ at: -Infinity, cap }] });
  return pools;
}

function plan(r: Rng, kind: Kind, pool: string, key: string) {
  const failures = r.chance(0.5) ? 0 : r.int(1, 3);
  const how: How = kind === "query" ? "error" : r.pick(["error", "error", "nonRetryable", "big"] as const);
  const ms = r.chance(0.1) ? r.int(5_000, 40_000) : r.int(0, 2_000);
  return kind === "action" ? { pool, key, failures, how, ms } : { pool, key, failures, how };
}

/**
 * Starting jobs: the dispatcher moves ready pending jobs to running and schedules what runs
 * them. A mutation or query job gets a worker of its own (its writes commit with its result). The
 * action jobs a run starts share one runner action per batch (./runner.ts): one scheduled run,
 * one claim and, when they end together, one completion transaction for the whole batch.
 */
import type { MutationCtx } from "../_generated/server.js";
import { internal } from "../_generated/api.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import { transition, type Pool } from "./jobs.js";
import { jobStarted } from "./events.js";
import type { Running } from "./tables.js";
import type { KeyBook } from "./keys.js";
import { turnAfter, type KeyCandidate } from "./keys.js";

type Entry = Awaited<ReturnType<KeyBook["get"]>>;

/** Most action jobs one runner executes; more started at once get more runners. */
export const RUNNER_BATCH = 100;

type Counts = Doc<"dispatchState">["counts"];
type Candidate = { id: Id<"jobs">; rank: number };

/** What a run may start from: unkeyed jobs in rank order and keys that may be open. */
export interface StartPlan {
  unkeyed: Candidate[];
  keys: KeyCandidate[];
  /** Keyed jobs that came due in this run, with their key's head before (null: nothing ready). */
  promoted: { key: string; id: Id<"jobs">; rank: number; headBefore: number | null }[];
  /** The view read only some of the open keys; the last one read had this place in line. */
  moreKeys: boolean;
  lastOpenAt: number;
}

/**
 * Starts ready jobs into free slots, in line order: the unkeyed job with the lowest rank or the
 * open key with the lowest `at`, whichever comes first, one at a time (a served key goes to the
 * back: see ./keys.ts). Each job is re-read by id (the view is stale): one canceled or started
 * meanwhile is skipped. `budget` is the free slots, fewer if the pool's bucket has fewer tokens.
 */
export async function startReady(
  ctx: MutationCtx,
  pool: Pool,
  plan: StartPlan,
  book: KeyBook,
  budget: number,
  counts: Counts,
  now: number,
) {
  const started: Running[] = [];
  const actions: { job: Doc<"jobs">; key?: string }[] = [];
  let skipped = 0;
  let oldestWaitMs: number | null = null;
  const cutoff = pool.canceledBefore ?? -1;
  const take = async (id: Id<"jobs">, key?: string) => {
    const job = await ctx.db.get(id);
    if (!job || job.state !== "pending" || job.readyAt > now || job._creationTime <= cutoff || job.key !== key) {
      skipped++;
      return false;
    }
    oldestWaitMs = Math.max(oldestWaitMs ?? 0, jobStarted(pool, job, now));
    if (job.kind === "action") actions.push({ job, key });
    else started.push(await startWorker(ctx, job, key, now));
    return true;
  };
  // Keys the view did not read may come before any key whose place is after the last one read.
  const lastReadAt = plan.moreKeys ? plan.lastOpenAt : Infinity;
  const line = await openKeys(plan, book, lastReadAt);
  let u = 0;
  while (started.length + actions.length < budget) {
    const next = plan.unkeyed[u];
    const key = line[0];
    if (!next && !key) break;
    if (next && (!key || next.rank <= key.at)) {
      u++;
      await take(next.id);
      continue;
    }
    line.shift();
    const job = key.jobs[key.i++];
    if (await take(job.id, key.entry.doc.key)) book.started(key.entry);
    const nextJob = key.jobs[key.i];
    const at = nextJob ? Math.max(nextJob.rank, turnAfter(now)) : Infinity;
    if (nextJob && book.canStart(key.entry) && at <= lastReadAt) {
      key.at = at;
      insertByAt(line, key);
    } else finishKey(book, key);
  }
  for (const key of line) if (key.i > 0) finishKey(book, key);
  for (let i = 0; i < actions.length; i += RUNNER_BATCH) {
    started.push(...(await startRunner(ctx, pool._id, actions.slice(i, i + RUNNER_BATCH), now)));
  }
  counts.pending -= started.length;
  counts.running += started.length;
  const left = u < plan.unkeyed.length || line.length > 0;
  // Jobs skipped as stale left slots free that other ready jobs may fill: look again at once.
  return { started, moreReady: skipped > 0 && started.length < budget, left, oldestWaitMs };
}

type KeyInLine = KeyCandidate & { entry: Entry; i: number };

/**
 * The keys that may start a job in this run, read fresh, in line order: the view's candidates
 * and keys whose delayed jobs came due in this run (`promoted`, merged into their lists). Keys
 * beyond the last open key the view read are left for the next run. So is a promoted job that
 * may rank behind ready jobs of its key the view did not read: the key stays open, and the next
 * run, reading the key in rank order, starts them in turn.
 */
async function openKeys(plan: StartPlan, book: KeyBook, lastReadAt: number): Promise<KeyInLine[]> {
  const viewed = new Map(plan.keys.map((k) => [k.key, k]));
  const byKey = new Map(plan.keys.map((k) => [k.key, { ...k, jobs: [...k.jobs] }]));
  for (const p of plan.promoted) {
    if (p.rank >= unreadFrom(viewed.get(p.key), p.headBefore)) continue;
    // A key the view did not read has unread ready jobs if it had a head before the promotion.
    const k = byKey.get(p.key) ?? { key: p.key, at: p.rank, jobs: [], more: p.headBefore !== null };
    k.jobs.push({ id: p.id, rank: p.rank });
    k.jobs.sort((a, b) => a.rank - b.rank);
    byKey.set(p.key, k);
  }
  const line: KeyInLine[] = [];
  for (const k of byKey.values()) {
    const entry = await book.get(k.key);
    if (entry.doc.lane !== "open" || !book.canStart(entry) || entry.doc.at > lastReadAt) continue;
    if (k.jobs.length === 0) {
      // Its head was stale (those jobs started or were canceled): it has nothing ready.
      book.setHead(entry, null);
      continue;
    }
    line.push({ ...k, at: entry.doc.at, entry, i: 0 });
  }
  return line.sort((a, b) => a.at - b.at);
}

/**
 * The lowest rank a ready job of the key may have that this run does not know of: the last job
 * the view read, when it read only some; the key's head before this run's promotions, when the
 * view did not read the key (Infinity: none).
 */
function unreadFrom(read: KeyCandidate | undefined, headBefore: number | null): number {
  if (!read) return headBefore ?? Infinity;
  return read.more ? read.jobs[read.jobs.length - 1].rank : Infinity;
}

function insertByAt(line: KeyInLine[], key: KeyInLine) {
  const i = line.findIndex((k) => k.at > key.at);
  line.splice(i === -1 ? line.length : i, 0, key);
}

/** Records where a served key's line now starts: its next job read, or none if the view saw all. */
function finishKey(book: KeyBook, key: KeyInLine) {
  const next = key.jobs[key.i];
  book.setHead(key.entry, next ? next.rank : key.more ? key.jobs[key.jobs.length - 1].rank : null);
}

async function startWorker(ctx: MutationCtx, job: Doc<"jobs">, key: string | undefined, now: number): Promise<Running> {
  const attempt = job.attempt + 1;
  const workerId = await ctx.scheduler.runAfter(0, internal.pool.worker.runMutationJob, { jobId: job._id, attempt });
  await transition(ctx, job, "running", { attempt, workerId, startedAt: now });
  return { jobId: job._id, attempt, workerId, kind: job.kind, ...(key !== undefined ? { key } : {}) };
}

/** Schedules one runner for a batch of action jobs and marks them running under it. */
async function startRunner(ctx: MutationCtx, pool: Id<"pools">, items: { job: Doc<"jobs">; key?: string }[], now: number) {
  const jobs = items.map((i) => i.job);
  const batch = jobs.map((job) => ({ jobId: job._id, attempt: job.attempt + 1 }));
  const workerId = await ctx.scheduler.runAfter(0, internal.pool.runner.runActions, { pool, jobs: batch });
  const started: Running[] = [];
  for (const [i, job] of jobs.entries()) {
    const { attempt } = batch[i];
    await transition(ctx, job, "running", { attempt, workerId, startedAt: now });
    const key = items[i].key;
    started.push({ jobId: job._id, attempt, workerId, kind: "action", ...(key !== undefined ? { key } : {}) });
  }
  return started;
}

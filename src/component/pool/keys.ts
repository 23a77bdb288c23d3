/**
 * Concurrency keys: per-key caps, per-key rate limits and per-key pause, without head-of-line
 * blocking. Each key with work has one `keys` document, written only by the dispatcher. Its
 * `lane` says whether the key can start a job now ("open"), and `at` orders it:
 *
 *   open     at = max(rank of its first ready job, just after it last started one). A key that just
 *            started a job goes to the back of the line, so keys take turns: one key's backlog
 *            delays another key's first job by at most one turn.
 *   waiting  at = when its bucket next holds a token (the dispatcher's timer wakes for it).
 *   full     as many running as its cap; a completion reopens it.
 *   paused   until resumeKey.
 *   idle     nothing ready. at = when its state may be dropped (nothing running or pending, bucket
 *            full again), or NEVER while something still runs or waits.
 *
 * The dispatcher reads open keys in `at` order, so a key at its cap, paused or out of tokens is
 * never in the way of the others, and reads stay bounded however many keys exist. News of a key
 * (jobs enqueued, canceled, pause, resume) reaches the dispatcher in tallies, so enqueue stays
 * insert-only; delayed jobs announce themselves when the dispatcher gives them their rank.
 */
import { v, type Infer } from "convex/values";
import type { MutationCtx, QueryCtx } from "../_generated/server.js";
import type { Doc, Id } from "../_generated/dataModel.js";
import { DEFAULT_KEY_CONCURRENCY, fullAt, nextTokenAt, take, tokensAt } from "../../shared/flow.js";
import type { KeyNews, Lane } from "./tables.js";
import type { Pool } from "./jobs.js";

export type KeyDoc = Doc<"keys">;
/** `at` of an idle key that must not be dropped yet. */
const NEVER = Number.MAX_SAFE_INTEGER;
/** Keys read per run whose wait (token or removal) is over. */
const DUE_KEYS_BATCH = 100;
/** Tokens are fractional; this much below a whole one still counts as one (float rounding). */
const EPSILON = 1e-9;

const vKeyCandidate = v.object({
  key: v.string(),
  /** Its place in line as the view saw it (the run re-reads the key and uses its own). */
  at: v.number(),
  /** Its first ready jobs in rank order; `more`: more exist than were read. */
  jobs: v.array(v.object({ id: v.id("jobs"), rank: v.number() })),
  more: v.boolean(),
});
export type KeyCandidate = Infer<typeof vKeyCandidate>;

export const vKeyView = v.object({
  /**
   * Keys that may start a job in this run, with their first ready jobs: the open keys in line
   * order, and the keys this run may open (an attempt of theirs ended, or a tally brings news).
   */
  open: v.array(vKeyCandidate),
  /** More open keys exist than were read: the last read one's `at` bounds this run's line. */
  moreOpen: v.boolean(),
  lastOpenAt: v.union(v.number(), v.null()),
  /** Waiting or idle keys whose time has come (to reopen or to drop). */
  due: v.array(v.id("keys")),
  /** The next time a waiting or idle key comes due, if any. */
  nextAt: v.union(v.number(), v.null()),
});
export type KeyView = Infer<typeof vKeyView>;

/**
 * The earliest place in line of a key that started a job at `servedAt`: just behind every job
 * that was ready by then, so a key never serves twice while another waits its first turn.
 */
export function turnAfter(servedAt: number | undefined): number {
  return servedAt === undefined ? -Infinity : servedAt + 1;
}

/** The cap of one key: its jobs' `keyLimit`, else the pool's `keyConcurrency`. */
export function capOf(pool: Pool, doc: Pick<KeyDoc, "limit">): number {
  return doc.limit ?? pool.keyConcurrency ?? DEFAULT_KEY_CONCURRENCY;
}

/**
 * The view's part (a stale-snapshot query): open keys in line order with their first ready
 * jobs, at most `budget` keys plus the `extra` keys this run may open (as many again), and
 * about twice the budget of jobs; the keys whose wait is over.
 */
export async function readKeys(ctx: QueryCtx, pool: Pool, budget: number, now: number, extra: string[]): Promise<KeyView> {
  const lane = (l: Lane) => ctx.db.query("keys").withIndex("by_pool_lane", (q) => q.eq("pool", pool._id).eq("lane", l).lte("at", now));
  const later = (l: Lane) => ctx.db.query("keys").withIndex("by_pool_lane", (q) => q.eq("pool", pool._id).eq("lane", l).gt("at", now));
  const due = [...(await lane("waiting").take(DUE_KEYS_BATCH)), ...(await lane("idle").take(DUE_KEYS_BATCH))];
  const next = [await later("waiting").first(), await later("idle").first()]
    .map((k) => k?.at)
    .filter((at): at is number => at !== undefined && at < NEVER);
  const base = { due: due.map((k) => k._id), nextAt: next.length ? Math.min(...next) : null };
  if (budget <= 0) return { open: [], moreOpen: false, lastOpenAt: null, ...base };
  const open = await ctx.db
    .query("keys")
    .withIndex("by_pool_lane", (q) => q.eq("pool", pool._id).eq("lane", "open"))
    .take(budget);
  const listed = new Set(open.map((k) => k.key));
  const others = [...new Set(extra)].filter((k) => !listed.has(k)).slice(0, budget);
  const docs: (Pick<KeyDoc, "key" | "at" | "running" | "limit"> | null)[] = [...open];
  for (const key of others) docs.push((await keyDoc(ctx, pool._id, key)) ?? { key, at: NEVER, running: 0 });
  // Keys take turns, so each needs only its share of the budget read (plus one to see more).
  const share = Math.max(1, Math.ceil(budget / docs.length));
  const candidates: KeyCandidate[] = [];
  for (const k of docs) {
    if (!k) continue;
    const n = Math.max(1, Math.min(capOf(pool, k) - k.running, share));
    const jobs = await ctx.db
      .query("jobs")
      .withIndex("by_pool_state_key_rank", (q) => q.eq("pool", pool._id).eq("state", "pending").eq("key", k.key).gte("rank", -Number.MAX_VALUE))
      .take(n + 1);
    candidates.push({ key: k.key, at: k.at, jobs: jobs.slice(0, n).map((j) => ({ id: j._id, rank: j.rank! })), more: jobs.length > n });
  }
  return { open: candidates, moreOpen: open.length === budget, lastOpenAt: open.at(-1)?.at ?? null, ...base };
}

/** One key's document, by name. */
export function keyDoc(ctx: QueryCtx, pool: Id<"pools">, key: string) {
  return ctx.db
    .query("keys")
    .withIndex("by_pool_key", (q) => q.eq("pool", pool).eq("key", key))
    .unique();
}

type Entry = { doc: Omit<KeyDoc, "_id" | "_creationTime"> & { _id?: Id<"keys"> }; dirty: boolean };

/**
 * The run's part: the keys a dispatch run touches, read fresh (by id or by name) once, changed
 * in memory and written once at the end (`flush`), so a key that both ends and starts a job in a
 * run costs one write.
 */
export class KeyBook {
  private byName = new Map<string, Entry>();

  constructor(
    private ctx: MutationCtx,
    private pool: Pool,
    private now: number,
  ) {}

  /** The key's state, read once; a key without a document starts empty (idle). */
  async get(key: string): Promise<Entry> {
    const had = this.byName.get(key);
    if (had) return had;
    const doc = await keyDoc(this.ctx, this.pool._id, key);
    const entry: Entry = {
      doc: doc ?? { pool: this.pool._id, key, lane: "idle", at: NEVER, running: 0, pending: 0, headRank: null },
      dirty: false,
    };
    this.byName.set(key, entry);
    return entry;
  }

  /** The key behind a `keys` id from the view (null if it is gone). */
  async byId(id: Id<"keys">): Promise<Entry | null> {
    for (const e of this.byName.values()) if (e.doc._id === id) return e;
    const doc = await this.ctx.db.get(id);
    if (!doc) return null;
    const entry: Entry = { doc, dirty: false };
    this.byName.set(doc.key, entry);
    return entry;
  }

  /** Applies a tally's news of the key: jobs enqueued or canceled, its cap, pause or resume. */
  async news(n: KeyNews) {
    const e = await this.get(n.key);
    e.doc.pending = Math.max(0, e.doc.pending + n.pending);
    if (n.limit !== undefined) e.doc.limit = n.limit;
    if (n.paused !== undefined) e.doc.paused = n.paused || undefined;
    if (n.rank !== undefined) this.noteReady(e, n.rank);
    e.dirty = true;
    this.relane(e);
  }

  /** A job of the key became ready with this rank (enqueued ready, or due after a delay). */
  async announce(key: string, rank: number) {
    const e = await this.get(key);
    this.noteReady(e, rank);
    this.relane(e);
  }

  /** One of the key's attempts ended; `requeued` if the job is pending again (a retry). */
  async release(key: string, requeued: boolean) {
    const e = await this.get(key);
    e.doc.running = Math.max(0, e.doc.running - 1);
    if (requeued) e.doc.pending++;
    e.dirty = true;
    this.relane(e);
  }

  /** Whether the key may start a job now: open, under its cap, a token in its bucket. */
  canStart(e: Entry): boolean {
    const { doc } = e;
    if (doc.paused || doc.running >= capOf(this.pool, doc)) return false;
    const limit = this.pool.keyRateLimit;
    return !limit || tokensAt(limit, doc.bucket, this.now) + EPSILON >= 1;
  }

  /** A job of the key started: it takes a slot and a token, and the key goes to the back. */
  started(e: Entry) {
    const { doc } = e;
    doc.running++;
    doc.pending = Math.max(0, doc.pending - 1);
    doc.servedAt = this.now;
    if (this.pool.keyRateLimit) doc.bucket = take(this.pool.keyRateLimit, doc.bucket, 1, this.now);
    e.dirty = true;
  }

  /**
   * After serving the key: the rank of its next ready job this run knows of (null: none). The
   * run's list of the key's jobs holds every job announced to it in this run (news of jobs the
   * view read, jobs promoted and merged in), so a job announced and started here is not its head.
   */
  setHead(e: Entry, rank: number | null) {
    e.doc.headRank = rank;
    e.dirty = true;
    this.relane(e);
  }

  /** Where the key stands now (see the module comment). */
  relane(e: Entry) {
    const { doc } = e;
    const limit = this.pool.keyRateLimit;
    let lane: Lane;
    let at: number;
    if (doc.paused) [lane, at] = ["paused", 0];
    else if (doc.running >= capOf(this.pool, doc)) [lane, at] = ["full", 0];
    else if (doc.headRank === null) {
      const droppable = doc.running === 0 && doc.pending === 0;
      lane = "idle";
      at = !droppable ? NEVER : limit ? fullAt(limit, doc.bucket, this.now) : this.now;
    } else if (limit && tokensAt(limit, doc.bucket, this.now) + EPSILON < 1) {
      [lane, at] = ["waiting", nextTokenAt(limit, doc.bucket, this.now)];
    } else [lane, at] = ["open", Math.max(doc.headRank, turnAfter(doc.servedAt))];
    if (lane !== doc.lane || at !== doc.at) e.dirty = true;
    doc.lane = lane;
    doc.at = at;
  }

  /** Whether this run touched any key (the pool has keyed jobs). */
  get touched(): boolean {
    return this.byName.size > 0;
  }

  /** Writes what changed; drops keys with nothing left to remember. Returns keys now open. */
  async flush(): Promise<number> {
    let open = 0;
    for (const e of this.byName.values()) {
      const { _id, ...fields } = e.doc as KeyDoc;
      if (e.doc.lane === "open") open++;
      const drop = e.doc.lane === "idle" && e.doc.at <= this.now;
      if (drop) {
        if (_id) await this.ctx.db.delete(_id);
        continue;
      }
      if (!e.dirty) continue;
      const { _creationTime, ...rest } = fields as KeyDoc;
      if (_id) await this.ctx.db.replace(_id, rest);
      else await this.ctx.db.insert("keys", rest);
    }
    return open;
  }

  /** Whether a key this run touched is open now: it has a ready job that could start. */
  get anyOpen(): boolean {
    for (const e of this.byName.values()) if (e.doc.lane === "open") return true;
    return false;
  }

  /** Earliest `at` among waiting and droppable idle keys this run wrote (for the timer). */
  nextDueAt(): number | null {
    let next: number | null = null;
    for (const { doc } of this.byName.values()) {
      if ((doc.lane === "waiting" || doc.lane === "idle") && doc.at < NEVER && doc.at > this.now) {
        next = next === null ? doc.at : Math.min(next, doc.at);
      }
    }
    return next;
  }

  private noteReady(e: Entry, rank: number) {
    e.doc.headRank = e.doc.headRank === null ? rank : Math.min(e.doc.headRank, rank);
    e.dirty = true;
  }
}

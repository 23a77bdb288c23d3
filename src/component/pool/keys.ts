/**
 * Concurrency keys: per-key caps, per-key rate limits and per-key pause, without head-of-line
 * blocking. Each key with work has one `keys` document, written only by the dispatcher. Its
 * `lane` says whether the key has a job ready ("open"), and `at` orders it:
 *
 *   open     at = max(rank of its first ready job, just after it last started one). A key that just
 *            started a job goes to the back of the line, so keys take turns: one key's backlog
 *            delays another key's first job by at most one turn.
 *   waiting  at = when its bucket next holds a token (the dispatcher's timer wakes for it).
 *   paused   until resumeKey.
 *   idle     nothing ready. at = when its state may be dropped (nothing pending, bucket full
 *            again, and nothing running if its jobs carry their own cap), or NEVER until then.
 *
 * How many of a key's jobs run is not stored: it is counted from the dispatcher's own list of
 * running attempts (`dispatchState.running`), which every run reads anyway. So a job's end
 * writes nothing to its key unless the key has no work left (it is dropped) or the job goes back
 * to pending (a retry): a keyed job costs its key one write, at its start. A key at its cap stays
 * in the open lane at its next turn, and the view skips it; there are at most as many such keys
 * as jobs running, so reads stay bounded however many keys exist. News of a key
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
 * jobs, at most `budget` keys plus the keys this run may open (as many again), and about twice
 * the budget of jobs; the keys whose wait is over. The keys this run may open: `ended` (an
 * attempt of theirs ended) and `news` (a tally the run folds brings them a ready job). `running`:
 * attempts still running per key (./view.ts counts them from the dispatch state); keys at their
 * cap are skipped.
 */
export async function readKeys(
  ctx: QueryCtx,
  pool: Pool,
  budget: number,
  now: number,
  may: { ended: string[]; news: string[] },
  running: Map<string, number>,
): Promise<KeyView> {
  const lane = (l: Lane) => ctx.db.query("keys").withIndex("by_pool_lane", (q) => q.eq("pool", pool._id).eq("lane", l).lte("at", now));
  const later = (l: Lane) => ctx.db.query("keys").withIndex("by_pool_lane", (q) => q.eq("pool", pool._id).eq("lane", l).gt("at", now));
  const due = [...(await lane("waiting").take(DUE_KEYS_BATCH)), ...(await lane("idle").take(DUE_KEYS_BATCH))];
  const next = [await later("waiting").first(), await later("idle").first()]
    .map((k) => k?.at)
    .filter((at): at is number => at !== undefined && at < NEVER);
  const base = { due: due.map((k) => k._id), nextAt: next.length ? Math.min(...next) : null };
  if (budget <= 0) return { open: [], moreOpen: false, lastOpenAt: null, ...base };
  const free = (k: Pick<KeyDoc, "key" | "limit">) => capOf(pool, k) - (running.get(k.key) ?? 0);
  // Keys at their cap stay in the open lane (at most one per key running): read past them.
  const limit = budget + running.size;
  const read = await ctx.db
    .query("keys")
    .withIndex("by_pool_lane", (q) => q.eq("pool", pool._id).eq("lane", "open"))
    .take(limit);
  const startable = read.filter((k) => free(k) > 0);
  const open = startable.slice(0, budget);
  const moreOpen = read.length === limit || startable.length > budget;
  const listed = new Set(read.map((k) => k.key));
  const news = new Set(may.news);
  const others = [...new Set([...may.ended, ...may.news])].filter((k) => !listed.has(k)).slice(0, budget);
  const docs: Pick<KeyDoc, "key" | "at" | "limit">[] = [...open];
  for (const key of others) {
    const found = await keyDoc(ctx, pool._id, key);
    // A key with no news that is not open has nothing ready (a key whose last job ended has no
    // document at all): it would only shrink the others' share.
    if (!news.has(key) && found?.lane !== "open") continue;
    const doc = found ?? { key, at: NEVER };
    if (free(doc) > 0) docs.push(doc);
  }
  // Keys take turns, so each needs only its share of the budget read (plus one to see more).
  const share = Math.max(1, Math.ceil(budget / Math.max(1, docs.length)));
  const candidates: KeyCandidate[] = [];
  for (const k of docs) {
    const n = Math.min(free(k), share);
    const jobs = await ctx.db
      .query("jobs")
      .withIndex("by_pool_state_key_rank", (q) => q.eq("pool", pool._id).eq("state", "pending").eq("key", k.key).gte("rank", -Number.MAX_VALUE))
      .take(n + 1);
    candidates.push({ key: k.key, at: k.at, jobs: jobs.slice(0, n).map((j) => ({ id: j._id, rank: j.rank! })), more: jobs.length > n });
  }
  // Unread keys sort after the last key read, and skipped startable ones after the last kept.
  const lastOpenAt = startable.length > budget ? open.at(-1)!.at : moreOpen ? (read.at(-1)?.at ?? null) : null;
  return { open: candidates, moreOpen, lastOpenAt, ...base };
}

/** Whether some open key is under its cap (`running` as in readKeys): work a token would start. */
export async function anyOpenKey(ctx: QueryCtx, pool: Pool, running: Map<string, number>): Promise<boolean> {
  const read = await ctx.db
    .query("keys")
    .withIndex("by_pool_lane", (q) => q.eq("pool", pool._id).eq("lane", "open"))
    .take(running.size + 1);
  return read.some((k) => capOf(pool, k) > (running.get(k.key) ?? 0));
}

/** Attempts running per key, from the dispatcher's list of running attempts. */
export function runningByKey(running: { key?: string }[]): Map<string, number> {
  const by = new Map<string, number>();
  for (const r of running) if (r.key !== undefined) by.set(r.key, (by.get(r.key) ?? 0) + 1);
  return by;
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
 * in memory and written once at the end (`flush`), and only if something stored changed: a key
 * whose job ends is written only when it goes idle or the job is requeued.
 */
export class KeyBook {
  private byName = new Map<string, Entry>();
  /** Attempts running per key: counted from the run's dispatch state, kept as jobs end and start. */
  private running: Map<string, number>;

  constructor(
    private ctx: MutationCtx,
    private pool: Pool,
    private now: number,
    running: { key?: string }[],
  ) {
    this.running = runningByKey(running);
  }

  private runningOf(key: string): number {
    return this.running.get(key) ?? 0;
  }

  /** The key's state, read once; a key without a document starts empty (idle). */
  async get(key: string): Promise<Entry> {
    const had = this.byName.get(key);
    if (had) return had;
    const doc = await keyDoc(this.ctx, this.pool._id, key);
    const entry: Entry = {
      doc: doc ?? { pool: this.pool._id, key, lane: "idle", at: NEVER, pending: 0, headRank: null },
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
    this.running.set(key, Math.max(0, this.runningOf(key) - 1));
    if (requeued) {
      e.doc.pending++;
      e.dirty = true;
    }
    this.relane(e);
  }

  /** Whether the key may start a job now: open, under its cap, a token in its bucket. */
  canStart(e: Entry): boolean {
    const { doc } = e;
    if (doc.paused || this.runningOf(doc.key) >= capOf(this.pool, doc)) return false;
    const limit = this.pool.keyRateLimit;
    return !limit || tokensAt(limit, doc.bucket, this.now) + EPSILON >= 1;
  }

  /** A job of the key started: it takes a slot and a token, and the key goes to the back. */
  started(e: Entry) {
    const { doc } = e;
    this.running.set(doc.key, this.runningOf(doc.key) + 1);
    doc.pending = Math.max(0, doc.pending - 1);
    doc.servedAt = this.now;
    if (this.pool.keyRateLimit) doc.bucket = take(this.pool.keyRateLimit, doc.bucket, 1, this.now);
    e.dirty = true;
  }

  /**
   * After serving the key: the rank of its next ready job this run knows of (null: none). The
   * run's list of the key's jobs holds every job announced to it in this run (news of jobs the
   * view read, jobs promoted and merged in: ./start.ts), so a job announced and started here is
   * not its head, and a key whose only job was announced and started in one run ends it idle
   * (and is dropped before it was ever written).
   */
  setHead(e: Entry, rank: number | null) {
    if (e.doc.headRank !== rank) e.dirty = true;
    e.doc.headRank = rank;
    this.relane(e);
  }

  /** Where the key stands now (see the module comment). */
  relane(e: Entry) {
    const { doc } = e;
    const limit = this.pool.keyRateLimit;
    let lane: Lane;
    let at: number;
    if (doc.paused) [lane, at] = ["paused", 0];
    else if (doc.headRank === null) {
      // Its running jobs are counted from the dispatch state, not here: with nothing pending the
      // key's state can go while they run, unless their own cap (`limit`) must be remembered.
      const droppable = doc.pending === 0 && (doc.limit === undefined || this.runningOf(doc.key) === 0);
      lane = "idle";
      at = !droppable ? NEVER : limit ? fullAt(limit, doc.bucket, this.now) : this.now;
    } else if (limit && tokensAt(limit, doc.bucket, this.now) + EPSILON < 1) {
      [lane, at] = ["waiting", nextTokenAt(limit, doc.bucket, this.now)];
    } else [lane, at] = ["open", Math.max(doc.headRank, turnAfter(doc.servedAt))];
    // A key at its cap stays open at its turn (the view skips it until a job of it ends).
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

  /**
   * Whether a key this run touched is open and could start a job now: a run must come back for
   * it. A key at its cap needs no run now: the end of one of its jobs brings one.
   */
  get anyOpen(): boolean {
    for (const e of this.byName.values()) if (e.doc.lane === "open" && this.canStart(e)) return true;
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

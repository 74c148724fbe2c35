/**
 * The driver: from one seed, a history of management API calls, sink answers, restarts and time, run against the
 * world, with every answer folded into the model (only answers the README defines change it).
 */
import type { CloudEvent } from 'cloudevents';
import { instanceIdFor } from '../../src/functions/shared/names.js';
import type { History } from './history.js';
import { BOUNDS, type CatchUpPolicy, type Lifetime, type Model } from './model.js';
import type { Prng } from './prng.js';
import type { Violation } from './invariants.js';
import type { World } from './world.js';

const NAMES = ['alpha', 'beta', 'gamma'];
const EVERY = [['1s', 1_000], ['2s', 2_000], ['5s', 5_000], ['5s', 5_000], ['10s', 10_000], ['10s', 10_000]] as const;
const POLICIES: CatchUpPolicy[] = ['all', 'all', 'latest', 'skip'];
/** Moves not to make (SIM_AVOID=future-backfill,delete-race,standby): to look past a known finding for the next one. */
const AVOID = new Set((process.env.SIM_AVOID ?? '').split(',').filter((m) => m !== ''));
export const avoids = (move: string): boolean => AVOID.has(move);

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export class Driver {
  readonly violations: Violation[] = [];
  /** The sink answers 503 to everything until then (virtual ms): schedules fall behind. */
  private outageUntil = 0;

  constructor(
    private readonly world: World,
    private readonly model: Model,
    private readonly history: History,
    private readonly prng: Prng,
  ) {}

  private get now(): number {
    return this.world.clock.now();
  }

  /** The sink's answer to each attempt, drawn from the sink's own stream; every attempt goes into the history. */
  sinkAnswers(sinkPrng: Prng, healthy: () => boolean): (event: CloudEvent<unknown> | undefined) => { status?: number; delayMs?: number; reset?: boolean } {
    const seen = new Map<string, number>();
    return (event) => {
      const down = !healthy() && this.now < this.outageUntil;
      // Drawn from (schedule, scheduled time, kind, attempt): concurrent deliveries arriving in another order meet the
      // same answers on a replay.
      const key = `${(event?.data as { schedule?: string } | undefined)?.schedule}/${event?.time}/${(event as unknown as { trigger?: string } | undefined)?.trigger ?? ''}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      const draws = sinkPrng.fork(`${key}#${n}`);
      const decided = healthy()
        ? {}
        : down
          ? { status: 503 }
          : draws.weighted<{ status?: number; delayMs?: number; reset?: boolean }>([
              [80, {}],
              [6, { status: 503 }],
              [2, { status: 400 }],
              [4, { reset: true }],
              [6, { delayMs: 20 }],
              [0.5, { delayMs: 400 }],
              [1, { status: 429 }],
            ]);
      if (event) {
        const data = event.data as { schedule?: string } | undefined;
        const trigger = (event as unknown as { trigger?: string }).trigger;
        this.history.attempts.push({
          at: this.now,
          status: decided.reset ? 'reset' : (decided.status ?? 200),
          id: String(event.id),
          schedule: String(data?.schedule ?? ''),
          sequence: Number((event as unknown as { sequence?: string }).sequence ?? 0),
          time: Date.parse(String(event.time)),
          ...(trigger !== undefined ? { trigger } : {}),
        });
        this.history.log(`sink ${data?.schedule} seq ${Number((event as unknown as { sequence?: string }).sequence ?? 0)} ${trigger ?? ''} ${String(event.time).slice(11, 23)} ${event.id} -> ${decided.reset ? 'reset' : (decided.status ?? 200)}${decided.delayMs ? ` after ${decided.delayMs} ms` : ''}`);
      }
      return decided;
    };
  }

  /**
   * A call to the first host, or with `anyHost` now and then through the standby. Reads that poll (their number
   * depends on timing) take no draws, so the history after them does not either.
   */
  async call(method: string, path: string, body?: unknown, anyHost = false): Promise<Answer> {
    let status = 0;
    let via = '';
    let parsed: Record<string, unknown>;
    try {
      const url = anyHost ? this.world.urlFor(this.prng) : this.world.url;
      via = url === this.world.url ? '' : ' (through the standby)';
      const response = await fetch(`${url}${path}`, {
        method,
        ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
      });
      status = response.status;
      const text = await response.text();
      try {
        parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
      } catch {
        parsed = { text };
      }
    } catch (error) {
      parsed = { error: String(error) };
    }
    this.history.log(`${method} ${path}${via}${body !== undefined ? ` ${JSON.stringify(body)}` : ''} -> ${status} ${JSON.stringify(parsed).slice(0, 160)}`);
    return { status, body: parsed };
  }

  /**
   * Reads a lifetime's generation and instance id (describe), retrying past storage faults. Between reads the world
   * settles (virtual time still): a new instance is Pending until the owner's first step, which may wait for the
   * owner to take a wake mark (a PUT through the standby) or for a host to hold the lease.
   */
  async learn(life: Lifetime): Promise<void> {
    const deadline = Date.now() + 1_500;
    for (let i = 0; life.generation === undefined && (i < 2 || Date.now() < deadline); i++) {
      if (i > 0) await this.world.settle();
      if (i > 1) await new Promise((resolve) => setTimeout(resolve, 10)); // a step that failed waits (real time) for its retry
      const got = await this.call('GET', `/api/schedules/${life.name}`);
      if (got.status === 200) {
        if (typeof got.body.generation === 'string') life.generation = got.body.generation;
        if (typeof got.body.instanceId === 'string') life.instanceId = got.body.instanceId;
      }
    }
  }

  /** One random step: a call, then 0-10 s of virtual time. */
  async step(): Promise<void> {
    const op = this.prng.weighted<() => Promise<void>>([
      [5, () => this.put()],
      [2, () => this.remove()],
      [3, () => this.pauseOrResume()],
      [2, () => this.trigger()],
      [1, () => this.backfill()],
      [AVOID.has('delete-race') ? 0 : 1, () => this.deleteWhileCreating()],
      [1, () => this.sinkOutage()],
      [1, () => this.editFile()],
      [1, () => this.world.restart('driver', false)],
    ]);
    await op();
    if (this.world.crashed()) await this.world.restart(`store: ${this.world.stores?.crashedAt}`, true);
    await this.world.advance(this.prng.int(0, 10) * 1_000);
    if (this.world.crashed()) await this.world.restart(`store: ${this.world.stores?.crashedAt}`, true);
  }

  /**
   * Edits the schedules file (adds, changes or removes `filed`), then restarts the host: the reconcile at start applies
   * it whether or not the watcher already did, so the model knows when it took effect (once GET shows it).
   */
  private async editFile(): Promise<void> {
    const life = this.model.current('filed');
    const remove = life !== undefined && this.prng.chance(0.4);
    const [every, everyMs] = this.prng.pick(EVERY);
    this.world.writeSchedulesFile(remove ? undefined : every);
    this.history.log(`schedules file: ${remove ? 'filed removed' : `filed every ${every}`}`);
    await this.world.restart('schedules file edited', false);
    const shown = await this.untilShown(remove ? undefined : every);
    if (!shown) {
      // Not applied yet (a start the storage refused is tried again by the app): when it takes effect is unknown.
      if (life) this.model.uncertain(life, this.now);
      else if (!remove) this.model.uncertain(this.model.created('filed', this.now, { everyMs, policy: 'all' }), this.now);
      return;
    }
    if (remove && life) {
      life.deletedAt = this.now;
      await this.checkPurged(life);
    } else if (life) this.model.replaced(life, this.now, { everyMs, policy: 'all' });
    else await this.learn(this.model.created('filed', this.now, { everyMs, policy: 'all' }));
  }

  /**
   * Polls (virtual time still) until `filed` shows `every` (describe's `spec.every`) or is gone: the reconcile is
   * done. The world settles between reads; a read that still does not show it waits a little real time (the app's
   * start-up retries).
   */
  private async untilShown(every: string | undefined): Promise<boolean> {
    const deadline = Date.now() + 2_000;
    for (let i = 0; i < 3 || Date.now() < deadline; i++) {
      const got = await this.call('GET', '/api/schedules/filed');
      const shown = (got.body.spec as { every?: unknown } | undefined)?.every;
      if (every === undefined ? got.status === 404 : got.status === 200 && shown === every) return true;
      await this.world.settle();
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false;
  }

  private async sinkOutage(): Promise<void> {
    this.outageUntil = this.now + this.prng.int(3, 30) * 1_000;
    this.history.log(`sink down (503) until ${new Date(this.outageUntil).toISOString().slice(11, 23)}`);
  }

  private pickName(): string {
    return this.prng.pick(NAMES);
  }

  /** A write whose answer is not one the README defines leaves the model unsure about that lifetime from then. */
  private unclear(life: Lifetime | undefined, status: number, defined: number[]): boolean {
    if (defined.includes(status)) return false;
    if (life) this.model.uncertain(life, this.now);
    return true;
  }

  private async put(): Promise<void> {
    const name = this.pickName();
    const [every, everyMs] = this.prng.pick(EVERY);
    const policy = this.prng.pick(POLICIES);
    const at = this.now;
    const got = await this.call('PUT', `/api/schedules/${name}`, { every, catchUp: { window: '1h', policy } }, true);
    let life = this.model.current(name);
    if (got.status === 201) {
      if (life) this.model.uncertain(life, at); // it existed as far as the model knew: an earlier answer was wrong
      life = this.model.created(name, at, { everyMs, policy });
      await this.learn(life);
    } else if (got.status === 200 || got.status === 202) {
      if (life) this.model.replaced(life, at, { everyMs, policy });
    } else if (!life && got.status >= 500) {
      // Created or not: the name may run from now on, unknown to the model, so nothing of it is checked but ids.
      const ghost = this.model.created(name, at, { everyMs, policy });
      this.model.uncertain(ghost, at);
      // The PUT's start is over: with no instance row it was never applied, and polling GET for it would only wait.
      if (await this.world.store.readInstance(instanceIdFor(name))) await this.learn(ghost);
    } else {
      this.unclear(life, got.status, [400, 409]);
    }
  }

  private async remove(): Promise<void> {
    const name = this.pickName();
    const life = this.model.current(name);
    if (life) await this.learn(life);
    const got = await this.call('DELETE', `/api/schedules/${name}`, undefined, true);
    if (got.status === 204 && life) {
      life.deletedAt = this.now;
      await this.checkPurged(life);
    } else {
      this.unclear(life, got.status, [404]);
    }
  }

  /** No row of the instance is left after the DELETE's 204 (the memory store keeps no blobs). */
  private async checkPurged(life: Lifetime): Promise<void> {
    if (life.instanceId === undefined) return;
    const rows = await this.world.store.rowKeysOf(life.instanceId);
    const record = await this.world.store.readInstance(life.instanceId);
    if (rows.length > 0 || record) {
      this.history.log(`purge check: ${life.name} left ${rows.length} row(s)${record ? ' and its instance row' : ''}`);
      this.violations.push({ invariant: 'nothing-left-after-purge', detail: `${life.name} (${life.instanceId}) after DELETE 204: ${record ? 'instance row, ' : ''}${rows.length} row(s): ${rows.slice(0, 3).join(', ')}`, needle: `purge check: ${life.name}` });
    }
  }

  /**
   * A DELETE and a PUT of one name at once (issue #16 finding 6: a purge racing a start). Whatever order they took,
   * what GET then shows must be a working schedule: it is a new lifetime, checked like any other.
   */
  private async deleteWhileCreating(): Promise<void> {
    const name = this.pickName();
    const [every, everyMs] = this.prng.pick(EVERY);
    const old = this.model.current(name);
    if (old) await this.learn(old);
    const [removed] = await Promise.all([
      this.call('DELETE', `/api/schedules/${name}`, undefined, true),
      this.call('PUT', `/api/schedules/${name}`, { every, catchUp: { window: '1h', policy: 'all' } }, true),
    ]);
    if (old && removed.status === 204) old.deletedAt = this.now;
    else if (old) this.model.uncertain(old, this.now);
    const now = await this.call('GET', `/api/schedules/${name}`);
    if (now.status === 404 || (now.status === 200 && old && now.body.generation === old.generation)) return;
    // A new lifetime; or, when GET failed (seed 60001300: the host crashed under it), maybe one, whose generation
    // stays unknown until a later read: from here on only what holds whatever it is gets checked.
    const life = this.model.created(name, this.now, { everyMs, policy: 'all' });
    await this.learn(life);
    if (now.status !== 200 && life.generation === undefined) this.model.uncertain(life, this.now);
  }

  private async pauseOrResume(): Promise<void> {
    const name = this.prng.chance(0.2) ? 'env' : this.pickName();
    const life = this.model.current(name);
    const pause = life ? !this.model.isPaused(life) : this.prng.chance(0.5);
    const got = await this.call('POST', `/api/schedules/${name}/${pause ? 'pause' : 'resume'}`, { note: 'sim' }, true);
    if (!life || this.unclear(life, got.status, [202, 409])) return;
    if (got.status === 409) return;
    if (pause) this.model.paused(life, this.now);
    else this.model.resumed(life, this.now);
  }

  private async trigger(): Promise<void> {
    const name = this.prng.chance(0.2) ? 'env' : this.pickName();
    const life = this.model.current(name);
    const got = await this.call('POST', `/api/schedules/${name}/trigger`, undefined, true);
    if (got.status === 202 && life && typeof got.body.id === 'string') life.triggers.set(got.body.id, this.now);
    else this.unclear(life, got.status, [404]);
  }

  private async backfill(): Promise<void> {
    const name = this.pickName();
    const life = this.model.current(name);
    const from = this.now - this.prng.int(1, 30) * 1_000;
    // Now and then a range reaching into the future (issue #16 finding 3: it must not send ids of ticks not yet due).
    const future = this.prng.chance(0.3) && !AVOID.has('future-backfill');
    const to = this.now + (future ? this.prng.int(1, 20) * 1_000 : -this.prng.int(0, 1) * 1_000);
    const got = await this.call('POST', `/api/schedules/${name}/backfill`, { from: new Date(from).toISOString(), to: new Date(to).toISOString() }, true);
    if (got.status === 202 && life) life.backfills.push({ at: this.now, from, to });
    else this.unclear(life, got.status, [400, 404]);
  }

  /** The end of a history: the sink answers 200, time runs long enough for every owed tick to arrive. */
  async drain(): Promise<void> {
    this.history.log('drain: the sink and the store are healthy from now on');
    this.world.becomeCalm();
    await this.world.advance(BOUNDS.drain + 5_000);
    if (this.world.crashed()) {
      await this.world.restart(`store: ${this.world.stores?.crashedAt}`, true);
      await this.world.advance(BOUNDS.drain + 5_000);
    }
  }
}

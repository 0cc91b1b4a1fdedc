// Discrete-event scheduler: virtual time in milliseconds and a binary min-heap of events ordered
// by (time, sequence). The sequence number is the order in which events were scheduled, so two
// events at the same time run first-scheduled first: the run is a pure function of the calls made,
// never of wall-clock time or object identity. Cancelled events stay in the heap and are skipped
// when they reach the top (lazy deletion), which keeps cancel O(1).
//
// Time may be fractional (radio airtime is sub-millisecond); the HAL clock rounds it down.

export interface ScheduledEvent {
  readonly time: number;
  readonly seq: number;
  cancelled: boolean;
  readonly action: () => void;
}

/** Upper bound of events one run call executes unless told otherwise: stops runaway loops. */
export const DEFAULT_MAX_EVENTS = 50_000_000;

export class Scheduler {
  private heap: ScheduledEvent[] = [];
  private nextSeq = 0;
  private clock = 0;
  private live = 0;
  /** Events executed since the scheduler was made. */
  eventsRun = 0;

  /** Current virtual time in ms. */
  get now(): number {
    return this.clock;
  }

  /** Events scheduled and not yet run or cancelled. */
  get pending(): number {
    return this.live;
  }

  /** Schedules `action` at absolute virtual time `time` (not before now). */
  at(time: number, action: () => void): ScheduledEvent {
    if (!Number.isFinite(time) || time < this.clock) {
      throw new RangeError(`scheduler: event time ${time} is before now (${this.clock})`);
    }
    const event: ScheduledEvent = { time, seq: this.nextSeq++, cancelled: false, action };
    this.push(event);
    this.live++;
    return event;
  }

  /** Schedules `action` `delay` ms from now. */
  after(delay: number, action: () => void): ScheduledEvent {
    if (!Number.isFinite(delay) || delay < 0) {
      throw new RangeError(`scheduler: delay must be a finite number >= 0, got ${delay}`);
    }
    return this.at(this.clock + delay, action);
  }

  cancel(event: ScheduledEvent | undefined): void {
    if (event === undefined || event.cancelled) return;
    event.cancelled = true;
    this.live--;
  }

  /** Time of the next live event, or undefined when idle. */
  peekTime(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.time;
  }

  /** Runs the next event; false when there is none. */
  step(): boolean {
    this.dropCancelled();
    const event = this.pop();
    if (event === undefined) return false;
    this.live--;
    // Mark it done so a later cancel() of a stale handle does not miscount.
    event.cancelled = true;
    this.clock = event.time;
    this.eventsRun++;
    event.action();
    return true;
  }

  /**
   * Runs events with time <= `time`, then sets the clock to `time`. Returns the number run.
   * Throws when more than `maxEvents` would run (a livelock in the firmware or a medium).
   */
  runUntil(time: number, maxEvents = DEFAULT_MAX_EVENTS): number {
    if (time < this.clock) throw new RangeError(`scheduler: ${time} is before now (${this.clock})`);
    let count = 0;
    for (;;) {
      const next = this.peekTime();
      if (next === undefined || next > time) break;
      if (count >= maxEvents) {
        throw new Error(`scheduler: more than ${maxEvents} events before t=${time} ms`);
      }
      this.step();
      count++;
    }
    this.clock = time;
    return count;
  }

  /** Runs until no event is left, or `maxEvents` ran (then throws). Returns the number run. */
  runUntilIdle(maxEvents = DEFAULT_MAX_EVENTS): number {
    let count = 0;
    while (this.peekTime() !== undefined) {
      if (count >= maxEvents) throw new Error(`scheduler: more than ${maxEvents} events, not idle`);
      this.step();
      count++;
    }
    return count;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
  }

  private push(event: ScheduledEvent): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(event, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = event;
  }

  private pop(): ScheduledEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
